package dev.herald.dispatcher.connector;

/**
 * A connector written for one test: names itself, has no rate of its own and nothing to close,
 * so that a test only writes {@link #send} (how its peer answers).
 */
public abstract class TestPeer implements Connector {
    private final String name;
    private final int window;

    /**
     * @param name   the connector's name
     * @param window its in-flight window
     */
    protected TestPeer(String name, int window) {
        this.name = name;
        this.window = window;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double maxRatePerSecond() {
        return Double.POSITIVE_INFINITY;
    }

    @Override
    public int window() {
        return window;
    }

    @Override
    public void close() {
    }
}
