package dev.herald.dispatcher.funnel;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** {@link Touches} in memory, for tests: not durable. A later touch replaces an earlier one; an older one changes nothing. */
public final class InMemoryTouches implements Touches {
    private final Map<Integer, Touch> delivered = new ConcurrentHashMap<>();
    private final Map<Integer, Touch> clicked = new ConcurrentHashMap<>();

    @Override
    public void delivered(int recipient, int campaignNumber, long atMillis) {
        delivered.merge(recipient, new Touch(campaignNumber, atMillis), InMemoryTouches::later);
    }

    @Override
    public void clicked(int recipient, int campaignNumber, long atMillis) {
        clicked.merge(recipient, new Touch(campaignNumber, atMillis), InMemoryTouches::later);
    }

    private static Touch later(Touch a, Touch b) {
        return b.atMillis() >= a.atMillis() ? b : a;
    }

    @Override
    public Optional<Touch> lastDelivered(int recipient) {
        return Optional.ofNullable(delivered.get(recipient));
    }

    @Override
    public Optional<Touch> lastClicked(int recipient) {
        return Optional.ofNullable(clicked.get(recipient));
    }
}
