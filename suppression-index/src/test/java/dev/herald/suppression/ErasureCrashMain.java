package dev.herald.suppression;

import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Child process of {@link ConsentErasureCrashTest}: opts out {@code count} recipients from
 * {@code start} on (each with its number and a raw text naming it), prints READY, then erases
 * random ones and compacts, forever, appending each erased id to an acknowledgement file once
 * {@code recordErasure} has returned. It is killed with SIGKILL, so kills land inside the
 * compactions' segment rewrites.
 */
public final class ErasureCrashMain {
    private ErasureCrashMain() {
    }

    static String phone(int id) {
        return String.format("+4477%08d", id);
    }

    static String text(int id) {
        return "STOP secret-" + id + ";";
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Path acks = Path.of(args[1]);
        int start = Integer.parseInt(args[2]);
        int count = Integer.parseInt(args[3]);
        long seed = Long.parseLong(args[4]);
        SuppressionIndex index = SuppressionIndex.open(dir, IndexOptions.defaults().withMaxSegmentBytes(64 * 1024)
                .withAutoCompactChanges(0));
        List<ConsentChange> batch = new ArrayList<>();
        for (int id = start; id < start + count; id++) {
            batch.add(ConsentChange.optOut(id, phone(id), Scope.GLOBAL,
                    ConsentEvidence.of(ConsentSource.KEYWORD).channel("sms").rawText(text(id))));
            if (batch.size() == 500) {
                index.apply(batch);
                batch.clear();
            }
        }
        index.apply(batch);
        FileOutputStream out = new FileOutputStream(acks.toFile(), true);
        System.out.println("READY");
        System.out.flush();
        Random rnd = new Random(seed);
        while (true) {
            for (int i = 0; i < 5; i++) {
                int id = start + rnd.nextInt(count);
                index.recordErasure(id, id * 31L, ConsentEvidence.of(ConsentSource.OPERATOR).channel("api"));
                out.write((id + "\n").getBytes(StandardCharsets.US_ASCII)); // reaches the kernel: survives SIGKILL
            }
            index.compact();
        }
    }
}
