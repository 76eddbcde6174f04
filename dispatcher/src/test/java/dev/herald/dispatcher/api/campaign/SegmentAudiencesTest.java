package dev.herald.dispatcher.api.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.api.ApiError;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.throttle.ZoneIndex;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** The service's audiences over a real directory and segment store. */
class SegmentAudiencesTest {

    @TempDir
    Path dir;

    private RecipientDirectory directory;
    private ZoneIndex zones;
    private SegmentAudiences audiences;
    private int alice;
    private int bob;

    @BeforeEach
    void open() throws Exception {
        directory = RecipientDirectory.open(dir.resolve("directory"), DirectoryOptions.defaults().withCapacity(10_000));
        zones = ZoneIndex.build(directory);
        SegmentStore segments = SegmentStore.open(dir);
        alice = directory.register("+447400123456", "Europe/London", "en-GB", Map.of("first_name", "Alice")).id();
        bob = directory.register("+33612345678", "Europe/Paris", "fr-FR", Map.of("first_name", "Bob", "city", "Paris")).id();
        segments.put("uk", MutableRoaringBitmap.bitmapOf(alice), 1, 0, List.of("first_name"));
        segments.put("fr", MutableRoaringBitmap.bitmapOf(bob), 1, 0, List.of("first_name", "city"));
        segments.put("old", MutableRoaringBitmap.bitmapOf(alice, bob), 2, 0); // fields not recorded
        audiences = new SegmentAudiences(segments, directory, zones);
    }

    @AfterEach
    void close() {
        directory.close();
    }

    @Test
    void shouldResolveASegmentOrAnExpressionAndTeachTheZoneIndexTheNewRecipients() {
        assertEquals(MutableRoaringBitmap.bitmapOf(alice), audiences.resolve("uk", null));
        int carol = directory.register("+14155550123", "America/Los_Angeles", "en-US", null).id();
        assertTrue(zones.bucket(carol).isEmpty(), "not known before a resolution");
        assertEquals(MutableRoaringBitmap.bitmapOf(alice, bob), audiences.resolve(null, "uk | fr"));
        assertTrue(zones.bucket(carol).isPresent(), "learnt at the resolution");
    }

    @Test
    void shouldRefuseAnUnknownOrMalformedSegmentNamingTheField() {
        ApiError unknown = assertThrows(ApiError.class, () -> audiences.resolve("de", null));
        assertEquals(List.of("unknown_segment", "segment", "no segment named 'de'"),
                List.of(unknown.code(), unknown.field(), unknown.getMessage()));
        ApiError invalid = assertThrows(ApiError.class, () -> audiences.resolve("bad name!", null));
        assertEquals(List.of("invalid_value", "segment", "invalid segment name 'bad name!'"),
                List.of(invalid.code(), invalid.field(), invalid.getMessage()));
        ApiError expression = assertThrows(ApiError.class, () -> audiences.resolve(null, "uk &"));
        assertEquals(List.of("invalid_expression", "expression"), List.of(expression.code(), expression.field()));
        ApiError missing = assertThrows(ApiError.class, () -> audiences.resolve(null, "uk | de"));
        assertEquals(List.of("unknown_segment", "expression"), List.of(missing.code(), missing.field()));
    }

    @Test
    void shouldKnowTheFieldsOnlyWhenEverySegmentRecordedThem() {
        assertEquals(Optional.of(Set.of("first_name")), audiences.fields("uk", null));
        assertEquals(Optional.of(Set.of("first_name", "city")), audiences.fields(null, "uk | fr"));
        assertEquals(Optional.empty(), audiences.fields(null, "uk | old"));
        assertEquals(Optional.empty(), audiences.fields(null, "uk &"), "a bad expression: not known (resolve refuses it)");
        assertEquals(Optional.empty(), audiences.fields("de", null));
    }
}
