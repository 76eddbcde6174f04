package dev.herald.dispatcher.funnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.suppression.store.DamagedStoreException;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The conversions log: once per order, also across a reopen; aggregates per campaign rebuilt at open; the store rule. */
class ConversionsTest {
    private static final long T = 1_800_000_000_000L;

    @TempDir
    Path dir;

    private static Conversion conversion(String order, int recipient, String campaign, String value, String currency) {
        return new Conversion(order, recipient, campaign, campaign == null ? Attribution.Source.NONE : Attribution.Source.CLICK,
                new BigDecimal(value), currency, T, T + 1);
    }

    @Test
    void shouldRecordEachOrderOnceAndAnswerARetryWithTheStoredConversion() throws IOException {
        try (Conversions c = Conversions.open(dir)) {
            List<Conversions.Outcome> first = c.record(List.of(conversion("o-1", 1, "spring", "10.50", "EUR"),
                    conversion("o-2", 2, null, "3", "USD")));
            assertFalse(first.get(0).duplicate());
            assertFalse(first.get(1).duplicate());
            // a retry, attributed differently this time: changes nothing, answers the first
            List<Conversions.Outcome> again = c.record(List.of(conversion("o-1", 1, "summer", "99", "EUR")));
            assertTrue(again.get(0).duplicate());
            assertEquals("spring", again.get(0).conversion().campaignId());
            assertEquals(new BigDecimal("10.5"), again.get(0).conversion().value());
            assertEquals(2, c.size());
            assertEquals(1, c.of("spring").count());
            assertEquals(0, c.of("summer").count());
        }
    }

    @Test
    void shouldCountAnOrderOnceWhenABatchHoldsItTwice() throws IOException {
        try (Conversions c = Conversions.open(dir)) {
            List<Conversions.Outcome> o = c.record(List.of(conversion("o-1", 1, "spring", "1", "EUR"),
                    conversion("o-1", 1, "spring", "1", "EUR")));
            assertFalse(o.get(0).duplicate());
            assertTrue(o.get(1).duplicate());
            assertEquals(1, c.of("spring").count());
        }
        assertEquals(1, Files.readAllLines(dir.resolve(Conversions.FILE)).size());
    }

    @Test
    void shouldKeepOrdersAndAggregatesAcrossAReopen() throws IOException {
        try (Conversions c = Conversions.open(dir)) {
            c.record(List.of(conversion("o-1", 1, "spring", "10.50", "EUR"), conversion("o-2", 2, "spring", "0.25", "EUR"),
                    conversion("o-3", 2, "spring", "7", "USD"), conversion("o-4", 3, null, "1", "GBP")));
        }
        try (Conversions c = Conversions.open(dir)) {
            assertEquals(4, c.size());
            CampaignConversions spring = c.of("spring");
            assertEquals(3, spring.count());
            assertEquals(2, spring.recipients().getLongCardinality());
            assertEquals(Map.of("EUR", new BigDecimal("10.75"), "USD", new BigDecimal("7")), spring.valueByCurrency());
            assertEquals(1, c.unattributed().count());
            assertTrue(c.record(List.of(conversion("o-2", 9, "summer", "5", "EUR"))).get(0).duplicate(), "deduped after reopen");
            assertEquals("spring", c.find("o-3").orElseThrow().campaignId());
            assertTrue(c.find("o-5").isEmpty());
            assertEquals(CampaignConversions.EMPTY, c.of("summer"));
        }
    }

    @Test
    void shouldDedupeManyOrdersAcrossReopenAsTheIndexGrows() throws IOException {
        int n = 50_000;
        try (Conversions c = Conversions.open(dir)) {
            List<Conversion> batch = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                batch.add(conversion("order-" + i, i, "c" + (i % 3), "1", "EUR"));
                if (batch.size() == 10_000) {
                    c.record(batch);
                    batch.clear();
                }
            }
        }
        try (Conversions c = Conversions.open(dir)) {
            assertEquals(n, c.size());
            List<Conversion> retry = new ArrayList<>();
            for (int i = 0; i < n; i += 7) {
                retry.add(conversion("order-" + i, i, "other", "1", "EUR"));
            }
            retry.add(conversion("order-" + n, n, "other", "1", "EUR"));
            List<Conversions.Outcome> o = c.record(retry);
            assertEquals(retry.size() - 1, o.stream().filter(Conversions.Outcome::duplicate).count());
            assertFalse(o.get(o.size() - 1).duplicate());
            assertEquals(n + 1, c.size());
        }
    }

    @Test
    void shouldTellOrdersWhoseHashesCollideApart() throws IOException {
        try (Conversions c = Conversions.open(dir, id -> 42)) {
            assertFalse(c.record(List.of(conversion("o-1", 1, "spring", "1", "EUR"))).get(0).duplicate());
            List<Conversions.Outcome> o = c.record(List.of(conversion("o-2", 2, "spring", "2", "EUR"),
                    conversion("o-3", 3, "spring", "3", "EUR"), conversion("o-1", 1, "summer", "1", "EUR")));
            assertFalse(o.get(0).duplicate());
            assertFalse(o.get(1).duplicate());
            assertTrue(o.get(2).duplicate());
        }
        try (Conversions c = Conversions.open(dir, id -> 42)) {
            assertEquals(3, c.size());
            assertEquals(new BigDecimal("2"), c.find("o-2").orElseThrow().value());
            assertEquals(new BigDecimal("3"), c.find("o-3").orElseThrow().value());
            assertTrue(c.record(List.of(conversion("o-3", 3, "spring", "3", "EUR"))).get(0).duplicate());
            assertTrue(c.find("o-4").isEmpty());
        }
    }

    @Test
    void shouldDropATornLastRecordAndRefuseADamagedOne() throws IOException {
        try (Conversions c = Conversions.open(dir)) {
            c.record(List.of(conversion("o-1", 1, "spring", "1", "EUR")));
        }
        Path file = dir.resolve(Conversions.FILE);
        Files.write(file, "{\"orderId\":\"o-2\",\"recip".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        try (Conversions c = Conversions.open(dir)) {
            assertEquals(1, c.size(), "the torn record is dropped");
            c.record(List.of(conversion("o-2", 2, "spring", "1", "EUR")));
        }
        try (Conversions c = Conversions.open(dir)) {
            assertEquals(2, c.size());
        }
        assertFalse(Conversions.verify(dir).isDamaged());
        String text = Files.readString(file).replace("\"o-1\"", "\"o-X\"");
        Files.writeString(file, text);
        assertTrue(Conversions.verify(dir).isDamaged(), "herald data check names it too");
        DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> Conversions.open(dir));
        assertTrue(e.getMessage().contains(Conversions.FILE), e.getMessage());
    }

    @Test
    void shouldRefuseAConversionOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> conversion("o", 1, null, "-1", "EUR"));
        assertThrows(IllegalArgumentException.class, () -> conversion("o", 1, null, "1.00001", "EUR"));
        assertThrows(IllegalArgumentException.class, () -> conversion("", 1, null, "1", "EUR"));
        assertThrows(IllegalArgumentException.class, () -> conversion("a\nb", 1, null, "1", "EUR"));
        assertThrows(IllegalArgumentException.class, () -> conversion("o", 1, null, "1", "eur"));
        assertEquals(new BigDecimal("100"), conversion("o", 1, null, "1E+2", "EUR").value());
        assertEquals(new BigDecimal("1.5"), conversion("o", 1, null, "1.5000", "EUR").value());
    }
}
