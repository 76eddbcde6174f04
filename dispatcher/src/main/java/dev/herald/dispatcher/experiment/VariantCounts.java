package dev.herald.dispatcher.experiment;

/**
 * What one variant of an A/B test has measured so far: how many recipients were exposed to it and
 * how many of them succeeded (clicked, converted or were delivered, whichever metric the test
 * judges on).
 *
 * <pre>{@code
 * VariantCounts a = new VariantCounts("A", 2000, 214);
 * double rate = a.rate();   // 0.107
 * }</pre>
 *
 * <p>Immutable. Zero exposed is a valid count (nothing was sent yet) but has no rate: the tests in
 * {@link Significance} and {@link WinnerDecision} refuse it.
 *
 * @param variant   the variant's name as the campaign gives it
 * @param exposed   recipients who got this variant (≥ successes)
 * @param successes recipients among them who succeeded (≥ 0)
 */
public record VariantCounts(String variant, long exposed, long successes) {

    /** @throws IllegalArgumentException if the name is blank or not {@code exposed ≥ successes ≥ 0} */
    public VariantCounts {
        if (variant == null || variant.isBlank()) {
            throw new IllegalArgumentException("a variant needs a name");
        }
        if (successes < 0) {
            throw new IllegalArgumentException("variant '" + variant + "': successes " + successes + " is negative");
        }
        if (exposed < successes) {
            throw new IllegalArgumentException("variant '" + variant + "': successes " + successes
                    + " exceed exposed " + exposed);
        }
    }

    /**
     * @return successes / exposed
     * @throws IllegalArgumentException naming the variant if nobody was exposed
     */
    public double rate() {
        requireExposed();
        return (double) successes / exposed;
    }

    /** @throws IllegalArgumentException naming the variant if nobody was exposed */
    void requireExposed() {
        if (exposed == 0) {
            throw new IllegalArgumentException("variant '" + variant + "' has no exposed recipients: a rate needs at least one");
        }
    }
}
