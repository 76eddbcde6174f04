package dev.herald.dispatcher.pipeline;

import dev.herald.dispatcher.experiment.VariantPlan;
import dev.herald.dispatcher.render.Renderer;
import dev.herald.suppression.Scope;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The messages of one run: per variant its renderer (template, footer, links) and sender, the
 * suppression scopes of each sender, and which recipient gets which ({@link VariantPlan}). A
 * campaign with one message has one variant.
 *
 * <pre>{@code
 * Variants v = Variants.single(renderer, "acme", scopes);
 * Renderer r = v.renderer(v.plan().variantOf(id));
 * List<Scope> s = v.scopes(message.sender());
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param plan      who gets which variant
 * @param renderers per variant, its renderer
 * @param senders   per variant, its sender
 * @param scopes    per sender, the suppression scopes of its messages (most general first)
 * @param fieldNames every personal field any variant's template reads (null: worked out here, once)
 */
public record Variants(VariantPlan plan, List<Renderer> renderers, List<String> senders, Map<String, List<Scope>> scopes,
                       List<String> fieldNames) {

    /** @throws IllegalArgumentException if the lists do not have one entry per variant, or a sender has no scopes */
    public Variants {
        renderers = List.copyOf(renderers);
        senders = List.copyOf(senders);
        scopes = Map.copyOf(scopes);
        if (renderers.size() != plan.count() || senders.size() != plan.count()) {
            throw new IllegalArgumentException("variants: " + plan.count() + " in the plan, " + renderers.size()
                    + " renderers, " + senders.size() + " senders");
        }
        for (String s : senders) {
            if (!scopes.containsKey(s)) {
                throw new IllegalArgumentException("variants: no suppression scopes for sender " + s);
            }
        }
        if (fieldNames == null) {
            Set<String> names = new TreeSet<>();
            renderers.forEach(r -> names.addAll(r.template().fieldNames()));
            fieldNames = renderers.size() == 1 ? renderers.get(0).template().fieldNames() : List.copyOf(names);
        }
    }

    /** @return one message for everyone */
    public static Variants single(Renderer renderer, String sender, List<Scope> scopes) {
        return new Variants(VariantPlan.single(), List.of(renderer), List.of(sender), Map.of(sender, scopes), null);
    }

    /**
     * @param plan      who gets which variant
     * @param renderers per variant
     * @param senders   per variant
     * @param scopesOf  the scopes of a sender's messages
     */
    public static Variants of(VariantPlan plan, List<Renderer> renderers, List<String> senders,
                              java.util.function.Function<String, List<Scope>> scopesOf) {
        Map<String, List<Scope>> scopes = new HashMap<>();
        senders.forEach(s -> scopes.computeIfAbsent(s, scopesOf));
        return new Variants(plan, renderers, senders, scopes, null);
    }

    /** @return variant {@code v}'s renderer */
    public Renderer renderer(int v) {
        return renderers.get(v);
    }

    /** @return the scopes of {@code sender}'s messages @throws IllegalArgumentException for a sender of no variant */
    public List<Scope> scopes(String sender) {
        List<Scope> s = scopes.get(sender);
        if (s == null) {
            throw new IllegalArgumentException("no variant sends as " + sender);
        }
        return s;
    }

    /** @return whether every variant has the same sender (one set of scopes for all) */
    public boolean oneSender() {
        return scopes.size() == 1;
    }
}
