package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link AuditLog#readComplete}: another process's log (a cluster node's) read up to its last whole
 * line, so a line that process is writing now is neither shown nor counted damaged.
 */
class AuditLogReadCompleteTest {

    private static String line(int i) throws Exception {
        return ApiDirectives.JSON.writeValueAsString(new AuditLog.Entry(Instant.parse("2026-12-07T10:00:00Z").plusSeconds(i),
                "key_" + (i % 3), "admin", "POST", "/v1/keys", 201)) + "\n";
    }

    @Test
    void shouldReadWholeLinesAndLeaveTheOneBeingWritten(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("audit.log");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 100; i++) { // several 4 KiB blocks
            text.append(line(i));
        }
        String partial = line(100).substring(0, 30);
        Files.writeString(log, text + partial, StandardCharsets.UTF_8);
        AuditLog.Page all = AuditLog.readComplete(log, null, null, null, 1000);
        assertEquals(100, all.entries().size());
        assertEquals(0, all.damaged(), "a line being written is not damage");
        assertEquals(Instant.parse("2026-12-07T10:00:00Z").plusSeconds(99), all.entries().get(0).at(), "newest first");
        AuditLog.Page some = AuditLog.readComplete(log, null, null, "key_1", 5);
        assertEquals(5, some.entries().size());
        assertTrue(some.more());
        assertTrue(some.entries().stream().allMatch(e -> e.keyId().equals("key_1")));
        // a line longer than the block read backwards, with no newline yet
        Files.writeString(log, text + "x".repeat(10_000), StandardCharsets.UTF_8);
        assertEquals(100, AuditLog.readComplete(log, null, null, null, 1000).entries().size());
        Files.writeString(log, "no newline at all", StandardCharsets.UTF_8);
        AuditLog.Page none = AuditLog.readComplete(log, null, null, null, 10);
        assertTrue(none.entries().isEmpty());
        assertEquals(0, none.damaged());
        assertFalse(AuditLog.readComplete(dir.resolve("missing.log"), null, null, null, 10).more());
    }
}
