package dev.herald.dispatcher.service;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.segment.SegmentStore;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;
import org.slf4j.LoggerFactory;

/** {@code herald serve} logs the {@code herald data check} summary at start, naming each damaged file. */
class ServeDataCheckLogTest {

    @TempDir
    Path tmp;

    @Test
    void shouldLogTheDataCheckSummaryAndEachDamagedFileAtStart() throws Exception {
        ServiceTests.buildDirectory(tmp, 2_000, AudienceSpec.defaults().withSeed(7));
        Path data = tmp.resolve("data");
        MutableRoaringBitmap all = new MutableRoaringBitmap();
        all.add(0L, 2_000L);
        SegmentStore.open(data).put("all", all, 2_000, 0);
        Path bitmap;
        try (var s = Files.newDirectoryStream(data.resolve("segments"), "all.*.roaring")) {
            bitmap = s.iterator().next();
        }
        try (FileChannel ch = FileChannel.open(bitmap, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[8]), 8);
        }

        Logger log = (Logger) LoggerFactory.getLogger(dev.herald.dispatcher.check.DataCheck.class);
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.start();
        log.addAppender(seen);
        Config config = ConfigFactory.parseString("herald.service.directory-capacity = 2000").withFallback(ConfigFactory.load()).resolve();
        HeraldService service = HeraldService.start(data, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0),
                Map.of("HERALD_API_KEY", "test-admin-key-0123456789"), new PrintWriter(new StringWriter(), true));
        try {
            List<String> lines = seen.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("damaged stored file " + data.resolve("segments/all.json"))
                    && l.contains(bitmap.getFileName().toString())), lines.toString());
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("data check: 1 damaged file (")), lines.toString());
        } finally {
            log.detachAppender(seen);
            service.stop().toCompletableFuture().join();
        }
    }
}
