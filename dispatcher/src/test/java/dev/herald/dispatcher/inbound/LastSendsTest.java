package dev.herald.dispatcher.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herald.dispatcher.campaign.CampaignNumbers;

class LastSendsTest {

    @TempDir
    Path dir;

    private static final Instant T = Instant.parse("2026-11-23T09:30:00Z");

    /** A message from another sender does not erase the mark of the first: a STOP to it is still attributed. */
    @Test
    void keepsTheLastSendOfTwoSenders() throws Exception {
        Map<String, String> stored = Map.of("a1", "acme", "b1", "shop", "a2", "acme", "b2", "shop");
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"));
             LastSends last = LastSends.open(dir.resolve("last"), 100, numbers, id -> Optional.ofNullable(stored.get(id)))) {
            last.mark(3, "a1", "acme", T);
            last.mark(3, "b1", "shop", T.plusSeconds(10));
            assertEquals(java.util.List.of(new LastSends.Mark("b1", "shop", T.plusSeconds(10)),
                    new LastSends.Mark("a1", "acme", T)), last.recent(3));
            last.mark(3, "b2", "shop", T.plusSeconds(20)); // the same sender again: replaces its own mark only
            assertEquals(java.util.List.of(new LastSends.Mark("b2", "shop", T.plusSeconds(20)),
                    new LastSends.Mark("a1", "acme", T)), last.recent(3));
            last.mark(3, "a2", "acme", T.plusSeconds(30));
            assertEquals(java.util.List.of(new LastSends.Mark("a2", "acme", T.plusSeconds(30)),
                    new LastSends.Mark("b2", "shop", T.plusSeconds(20))), last.recent(3));
            assertEquals("a2", last.of(3).orElseThrow().campaignId());
            assertTrue(last.recent(4).isEmpty());
        }
    }

    @Test
    void keepsTheLastMarketingSendAcrossARestart() throws Exception {
        Map<String, String> stored = Map.of("spring", "acme", "winter", "shop", "autumn", "ACME");
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"));
             LastSends last = LastSends.open(dir.resolve("last"), 1_000, numbers, id -> Optional.ofNullable(stored.get(id)))) {
            assertTrue(last.of(5).isEmpty());
            last.mark(5, "spring", "acme", T);
            last.mark(6, "spring", "acme", T.plusSeconds(1));
            last.mark(7, "autumn", "ACME", T); // a campaign may spell its sender in capitals
            assertEquals("acme", last.of(7).orElseThrow().sender(), "as profiles and scopes have it");
            last.mark(5, "winter", "shop", T.plusSeconds(60)); // a later message replaces the mark
            last.mark(1_000, "spring", "acme", T); // beyond the capacity: not tracked, no error
            assertEquals(new LastSends.Mark("winter", "shop", T.plusSeconds(60)), last.of(5).orElseThrow());
            assertTrue(last.of(1_000).isEmpty());
            assertTrue(last.of(-1).isEmpty());
        }
        // reopened: the campaign numbers are durable; the sender comes from the stored campaign
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"));
             LastSends last = LastSends.open(dir.resolve("last"), 1_000, numbers, id -> Optional.ofNullable(stored.get(id)))) {
            assertEquals(new LastSends.Mark("winter", "shop", T.plusSeconds(60)), last.of(5).orElseThrow());
            assertEquals(new LastSends.Mark("spring", "acme", T.plusSeconds(1)), last.of(6).orElseThrow());
            assertEquals("acme", last.of(7).orElseThrow().sender(), "the stored record's sender, in lower case");
            assertEquals(3, Files.readAllLines(dir.resolve("numbers.log")).size(), "one number per campaign");
        }
        // a campaign no longer stored: nothing to attribute to
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"));
             LastSends last = LastSends.open(dir.resolve("last"), 1_000, numbers, id -> Optional.empty())) {
            assertTrue(last.of(6).isEmpty());
        }
    }
}
