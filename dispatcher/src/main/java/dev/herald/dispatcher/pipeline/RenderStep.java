package dev.herald.dispatcher.pipeline;

import dev.herald.dispatcher.campaign.CampaignSpec;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.outcome.Outcome;
import dev.herald.dispatcher.render.RenderedMessage;
import dev.herald.dispatcher.render.Renderer;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.RecipientFields;
import dev.herald.throttle.Priority;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The render step of the send stage: a batch's numbers and the template's personal fields read
 * from the directory in one id-ordered batch (its record pages: a sequential read; the rest of
 * each record is not decoded), then each message rendered with its compliance footer.
 *
 * <pre>{@code
 * RenderStep.Prepared p = RenderStep.prepare(spec, directory, renderer, Priority.MARKETING, ids);
 * p.messages();   // ready to hand over, in id order
 * p.failed();     // recipient id → failed:unknown-recipient / failed:render:<exception>
 * }</pre>
 *
 * <p>Plain Java, no Pekko; stateless.
 */
public final class RenderStep {

    private RenderStep() {
    }

    /**
     * @param messages the rendered messages, in the batch's order
     * @param failed   the ids that could not be prepared, each with its {@link Outcome.Failed}
     * @param notes    per message (same positions), what its message log record keeps: variant and fields
     */
    public record Prepared(List<OutboundMessage> messages, Map<Integer, Outcome> failed, List<Note> notes) {
        /** Without notes. */
        public Prepared(List<OutboundMessage> messages, Map<Integer, Outcome> failed) {
            this(messages, failed, List.of());
        }
    }

    /**
     * What a message was made of, for the message log ({@link dev.herald.dispatcher.message.MessageLog}):
     * its variant and the recipient's fields as read for the render (no copy: the read's own map).
     *
     * @param variant the variant's index
     * @param fields  the fields read (every variant's names; the log keeps the variant's)
     */
    public record Note(int variant, Map<String, String> fields) {
    }

    /**
     * @param spec      the campaign (id, sender, channel)
     * @param directory numbers and personal fields
     * @param renderer  template plus footer
     * @param priority  the messages' priority
     * @param ids       the batch, ascending
     * @return the messages, and the ids not in the directory or whose message did not render
     */
    public static Prepared prepare(CampaignSpec spec, RecipientDirectory directory, Renderer renderer, Priority priority,
                                   int[] ids) {
        return prepare(spec, directory, Variants.single(renderer, spec.sender(), List.of()), priority, ids);
    }

    /**
     * As {@link #prepare(CampaignSpec, RecipientDirectory, Renderer, Priority, int[])}, each
     * recipient's message from its variant's template and sender; a recipient without a variant (held
     * by an undecided test: never sent) fails {@code failed:no-variant}.
     */
    public static Prepared prepare(CampaignSpec spec, RecipientDirectory directory, Variants variants, Priority priority,
                                   int[] ids) {
        RecipientFields[] read = directory.fields(ids, variants.fieldNames());
        int[] variantOf = variants.plan().variantsOf(ids); // per batch: a sample is walked, not searched per id
        List<OutboundMessage> messages = new ArrayList<>(ids.length);
        List<Note> notes = new ArrayList<>(ids.length);
        Map<Integer, Outcome> failed = new java.util.LinkedHashMap<>();
        for (int i = 0; i < read.length; i++) {
            int id = ids[i];
            RecipientFields r = read[i];
            if (r == null) {
                failed.put(id, new Outcome.Failed("unknown-recipient"));
                continue;
            }
            int v = variantOf[i];
            if (v == dev.herald.dispatcher.experiment.VariantPlan.NONE) {
                failed.put(id, new Outcome.Failed("no-variant"));
                continue;
            }
            try {
                RenderedMessage rendered = variants.renderer(v).render(r, Map.of());
                messages.add(OutboundMessage.of(spec.id(), id, r.e164(), variants.senders().get(v), rendered, priority,
                        spec.channel()));
                notes.add(new Note(v, r.fields()));
            } catch (RuntimeException e) {
                failed.put(id, new Outcome.Failed("render:" + e.getClass().getSimpleName()));
            }
        }
        return new Prepared(messages, failed, notes);
    }
}
