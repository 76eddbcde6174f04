package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.journey.JourneyLog.Rec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A journey state written as an image in many parts reads back the same; a damaged image refuses the log. */
class JourneyImageTest {

    @TempDir
    Path dir;

    private static JourneyPlan cart() throws Exception {
        JourneyDefinition d = new ObjectMapper().readValue(Files.readString(Path.of("..", "examples", "journeys",
                "abandoned-cart.json")), JourneyDefinition.class);
        return JourneyPlan.of("j-test", 1, d);
    }

    private static JourneyState filled(JourneyPlan plan, long seed) {
        JourneyState st = new JourneyState("j-test", v -> plan);
        Random rnd = new Random(seed);
        System.out.println("JourneyImageTest seed " + seed);
        for (int r = 0; r < 5_000; r++) {
            int lanes = 1 + rnd.nextInt(2);
            for (int lane = 0; lane < lanes; lane++) {
                st.apply(new Rec.Enter(1000L + r, 1, lane, r, "cart-" + r + "-" + lane, r * 10L));
                st.apply(new Rec.At(1000L + r, 1, 0, lane, 3_600_000L + 1000L * rnd.nextInt(3600), MutableRoaringBitmap.bitmapOf(r)));
            }
        }
        MutableRoaringBitmap some = new MutableRoaringBitmap();
        some.add(0L, 500L);
        st.apply(new Rec.End(9999, 0, "goal", some));
        st.apply(new Rec.Run(9999, 1, 1, 1, 1, MutableRoaringBitmap.bitmapOf(600, 601)));
        st.apply(new Rec.Settled(9999, 1, "sent", MutableRoaringBitmap.bitmapOf(600)));
        st.apply(new Rec.Cursor(9999, 4242));
        return st;
    }

    private static String summary(JourneyState st) {
        return st.entered + " " + st.waiting() + " " + st.exited + " " + st.atSteps(1) + " " + st.keys.size() + " "
                + st.runs.keySet() + " " + st.cursor + " " + st.nextDue() + " " + st.outcomes + " " + st.arrived
                + " " + st.dueOf(st.lane(1, 0), 0, 700) + " " + st.flow;
    }

    @Test
    void anImageInManyPartsReadsBackTheSameState() throws Exception {
        JourneyPlan plan = cart();
        JourneyState st = filled(plan, 16);
        Path file = dir.resolve("j-test.log");
        long size = JourneyLog.compact(file, 1, st::image, 1000);
        List<Rec> records = new ArrayList<>();
        JourneyLog.read(file, records::add);
        assertTrue(records.size() > 20, records.size() + " parts of " + size + " bytes");
        assertTrue(records.stream().allMatch(r -> r instanceof Rec.ImagePart), "only image parts");
        JourneyState back = new JourneyState("j-test", v -> plan);
        try (JourneyLog log = JourneyLog.open(file, back::apply)) {
            assertEquals(summary(st), summary(back));
            assertEquals(Map.copyOf(st.keys), Map.copyOf(back.keys));
        }
    }

    @Test
    void aDamagedImageRefusesTheLogNamingIt() throws Exception {
        JourneyPlan plan = cart();
        JourneyState st = filled(plan, 17);
        Path file = dir.resolve("j-test.log");
        JourneyLog.compact(file, 1, st::image, 1000);
        byte[] b = Files.readAllBytes(file);
        b[b.length / 3] ^= 0x20;
        Files.write(file, b);
        Exception e = assertThrows(Exception.class, () -> JourneyLog.open(file, new JourneyState("j-test", v -> plan)::apply));
        assertTrue(e.getMessage().contains("j-test.log"), e.getMessage());
    }
}
