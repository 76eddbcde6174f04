package dev.herald.dispatcher.api.campaign;

import dev.herald.dispatcher.api.ApiError;
import dev.herald.dispatcher.api.CampaignRoutes.CreateCampaign;
import dev.herald.dispatcher.render.Template;

import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * Where a campaign's recipients come from: a stored segment, or an expression over segments
 * ({@link SegmentAudiences} in a service). {@link #of} is what a create and a preview call.
 *
 * <pre>{@code
 * ImmutableRoaringBitmap recipients = audiences.of(body); // 400 unknown_segment, empty_audience, ...
 * }</pre>
 *
 * <p>Thread-safety: implementations are called from many routing threads at once.
 */
public interface Audiences {

    /**
     * @param segment    a segment name, or null
     * @param expression a segment expression, or null (exactly one of the two is given)
     * @return the recipients
     * @throws ApiError 400 naming the field for an unknown segment or a malformed expression
     */
    ImmutableRoaringBitmap resolve(String segment, String expression);

    /**
     * @param segment    as for {@link #resolve}
     * @param expression as for {@link #resolve}
     * @return the personal fields every recipient's upload had (the template may use them), or
     *     empty when that is not known (then the template is not checked against fields)
     */
    default Optional<Set<String>> fields(String segment, String expression) {
        return Optional.empty();
    }

    /**
     * A validated body's recipients ({@link CampaignValidation} ran first: exactly one of segment
     * and expression, a template that parses).
     *
     * @return the recipients, never empty
     * @throws ApiError 400 for an unknown segment or a bad expression ({@link #resolve}), 400
     *     {@code unknown_field_in_template} when the text uses a field the audience's uploads do not
     *     have, 400 {@code empty_audience} naming the segment or expression
     */
    default ImmutableRoaringBitmap of(CreateCampaign body) {
        return of(body, false);
    }

    /**
     * {@link #of(CreateCampaign)}, or with {@code emptyAllowed} an empty audience too: a cluster
     * partition's slice of a campaign whose recipients are all on other partitions.
     */
    default ImmutableRoaringBitmap of(CreateCampaign body, boolean emptyAllowed) {
        String segment = CampaignValidation.blankToNull(body.segment());
        String expression = CampaignValidation.blankToNull(body.expression());
        ImmutableRoaringBitmap audience = resolve(segment, expression);
        fields(segment, expression).ifPresent(known -> {
            Set<String> usable = new TreeSet<>(known);
            usable.addAll(Template.RESERVED_FIELDS);
            java.util.List<String> texts = new java.util.ArrayList<>();
            java.util.List<String> fieldNames = new java.util.ArrayList<>();
            if (body.variants() == null) {
                texts.add(body.text());
                fieldNames.add("text");
            } else {
                for (int i = 0; i < body.variants().size(); i++) {
                    texts.add(body.variants().get(i).text());
                    fieldNames.add("variants[" + i + "].text");
                }
            }
            for (int i = 0; i < texts.size(); i++) {
                try {
                    Template.parse(texts.get(i), Boolean.TRUE.equals(body.trackLinks())).validate(usable);
                } catch (RuntimeException e) {
                    throw ApiError.badRequest("unknown_field_in_template", "'" + fieldNames.get(i) + "': " + e.getMessage()
                            + " (the fields of the audience's uploads)", fieldNames.get(i));
                }
            }
        });
        if (audience.isEmpty() && !emptyAllowed) {
            throw ApiError.badRequest("empty_audience", "the audience is empty: no recipient in "
                    + (body.segment() != null ? "segment '" + body.segment() + "'" : "'" + body.expression() + "'"),
                    body.segment() != null ? "segment" : "expression");
        }
        return audience;
    }
}
