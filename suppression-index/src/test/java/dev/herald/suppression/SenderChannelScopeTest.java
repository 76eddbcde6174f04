package dev.herald.suppression;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A STOP that covers one sender on one channel only: suppresses that channel, survives compaction and reopening. */
class SenderChannelScopeTest {

    @TempDir
    Path dir;

    @Test
    void suppressesOnlyThatSendersChannelAcrossCompactionAndReopen() throws Exception {
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            index.optOut(5, "+447700900123", Scope.senderChannel("acme", "sms"), ConsentEvidence.of(ConsentSource.KEYWORD));
            check(index);
            index.compact();
            check(index);
        }
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            check(index);
        }
    }

    private static void check(SuppressionIndex index) {
        SuppressionSnapshot s = index.snapshot();
        assertTrue(s.isSuppressed(5, Scope.forMessage("acme", "sms", "promo")));
        assertFalse(s.isSuppressed(5, Scope.forMessage("acme", "whatsapp", "promo")));
        assertFalse(s.isSuppressed(5, Scope.forMessage("other", "sms", "promo")));
        assertFalse(s.isSuppressed(6, Scope.forMessage("acme", "sms", "promo")));
    }
}
