package dev.herald.dispatcher.api.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.herald.dispatcher.api.ApiError;
import dev.herald.dispatcher.api.CampaignRoutes.CreateCampaign;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** {@link Audiences#of}: what a create and a preview check of the recipients, over a stand-in segment store. */
class AudiencesTest {

    /** Segments "vip" (ids 1-3, uploads with first_name) and "none" (empty, fields unknown). */
    private static final class TwoSegments implements Audiences {
        final List<String> resolved = new ArrayList<>();

        @Override
        public ImmutableRoaringBitmap resolve(String segment, String expression) {
            resolved.add(segment + "|" + expression);
            return segment != null && segment.equals("vip") ? MutableRoaringBitmap.bitmapOf(1, 2, 3)
                    : new MutableRoaringBitmap();
        }

        @Override
        public Optional<Set<String>> fields(String segment, String expression) {
            return "vip".equals(segment) ? Optional.of(Set.of("first_name")) : Optional.empty();
        }
    }

    private static CreateCampaign body(String text, String segment, String expression) {
        return new CreateCampaign("n", "sms", "marketing", "acme", text, null, segment, expression, null, null, null, null, null, null, null, null);
    }

    @Test
    void shouldResolveTheStrippedSegmentOrExpression() {
        TwoSegments a = new TwoSegments();
        assertEquals(3, a.of(body("Hi {{first_name}}", " vip ", null)).getCardinality());
        assertThrows(ApiError.class, () -> a.of(body("Hi", "  ", " a | b ")));
        assertEquals(List.of("vip|null", "null|a | b"), a.resolved);
    }

    @Test
    void shouldRefuseATemplateFieldTheUploadsDoNotHave() {
        ApiError e = assertThrows(ApiError.class, () -> new TwoSegments().of(body("Hi {{last_name}}", "vip", null)));
        assertEquals(400, e.status());
        assertEquals("unknown_field_in_template", e.code());
        assertEquals("text", e.field());
        assertEquals(true, e.getMessage().endsWith("(the fields of the audience's uploads)"), e.getMessage());
    }

    @Test
    void shouldRefuseAnEmptyAudienceNamingTheSegmentOrTheExpression() {
        ApiError segment = assertThrows(ApiError.class, () -> new TwoSegments().of(body("Hi {{x}}", "none", null)));
        assertEquals("empty_audience", segment.code());
        assertEquals("segment", segment.field());
        assertEquals("the audience is empty: no recipient in segment 'none'", segment.getMessage());
        ApiError expression = assertThrows(ApiError.class, () -> new TwoSegments().of(body("Hi", null, "vip & none")));
        assertEquals("expression", expression.field());
        assertEquals("the audience is empty: no recipient in 'vip & none'", expression.getMessage());
    }
}
