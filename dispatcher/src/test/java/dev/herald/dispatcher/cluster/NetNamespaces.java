package dev.herald.dispatcher.cluster;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Test hosts on one machine: one Linux network namespace per host, each joined to a bridge in the
 * machine's own namespace by a veth pair (host i at {@code 10.<net>.0.<i+1>}, the machine at
 * {@code .254}), so every host reaches every other and the test reaches them all. {@link #cut}
 * takes a host's link to the bridge down: packets to and from it are dropped silently, as a
 * network partition does; {@link #heal} brings it back. Needs root (or password-less sudo) and
 * {@code ip}; without them the calling test is skipped, unless {@code HERALD_PEER_TESTS=required}.
 *
 * <pre>{@code
 * try (NetNamespaces hosts = NetNamespaces.create(3)) {
 *     hosts.exec(0);        // ["ip", "netns", "exec", "<ns>"]: start a process on host 0
 *     hosts.address(0);     // "10.x.0.1"
 *     hosts.cut(2);         // host 2 cut off from the others (and from the test)
 * }
 * }</pre>
 */
final class NetNamespaces implements AutoCloseable {

    private final String tag;
    private final int net;
    private final int hosts;
    private final List<String> sudo;
    private final List<String[]> undo = new ArrayList<>();

    private NetNamespaces(String tag, int net, int hosts, List<String> sudo) {
        this.tag = tag;
        this.net = net;
        this.hosts = hosts;
        this.sudo = sudo;
    }

    /** Makes {@code n} hosts, or skips (fails when peers are required) where namespaces cannot be made. */
    static NetNamespaces create(int n) throws IOException, InterruptedException {
        List<String> sudo = isRoot() ? List.of() : List.of("sudo", "-n");
        long pid = ProcessHandle.current().pid();
        String tag = "hz" + (pid % 100_000);
        int net = 100 + (int) (pid % 150);
        NetNamespaces ns = new NetNamespaces(tag, net, n, sudo);
        String why = ns.probe();
        if (why != null) {
            if ("required".equals(System.getenv("HERALD_PEER_TESTS"))) {
                fail("network namespaces cannot be made here (" + why + "); HERALD_PEER_TESTS=required");
            }
            assumeTrue(false, "network namespaces cannot be made here: " + why);
        }
        try {
            ns.build();
        } catch (IOException | RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    private String probe() throws InterruptedException {
        try {
            Process p = new ProcessBuilder(cmd("ip", "netns", "list")).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            return p.waitFor() == 0 ? null : "ip netns list: " + out.strip();
        } catch (IOException e) {
            return "no ip command: " + e.getMessage();
        }
    }

    private void build() throws IOException, InterruptedException {
        String bridge = tag + "b";
        run("ip", "link", "add", bridge, "type", "bridge");
        undo.add(new String[] {"ip", "link", "del", bridge});
        run("ip", "addr", "add", "10." + net + ".0.254/24", "dev", bridge);
        run("ip", "link", "set", bridge, "up");
        for (int i = 0; i < hosts; i++) {
            String ns = namespace(i);
            run("ip", "netns", "add", ns);
            undo.add(new String[] {"ip", "netns", "del", ns});
            String inside = tag + "i" + i;
            String outside = outside(i);
            run("ip", "link", "add", inside, "type", "veth", "peer", "name", outside);
            undo.add(new String[] {"ip", "link", "del", outside});
            run("ip", "link", "set", inside, "netns", ns);
            run("ip", "-n", ns, "addr", "add", address(i) + "/24", "dev", inside);
            run("ip", "-n", ns, "link", "set", "lo", "up");
            run("ip", "-n", ns, "link", "set", inside, "up");
            run("ip", "link", "set", outside, "master", bridge);
            run("ip", "link", "set", outside, "up");
        }
    }

    /** @return the command prefix that runs a program on host {@code i} */
    List<String> exec(int i) {
        return cmd("ip", "netns", "exec", namespace(i));
    }

    /** @return host {@code i}'s address */
    String address(int i) {
        return "10." + net + ".0." + (i + 1);
    }

    /** Cuts host {@code i} off: its link to the others goes down. */
    void cut(int i) throws IOException, InterruptedException {
        run("ip", "link", "set", outside(i), "down");
    }

    /** Joins host {@code i} again. */
    void heal(int i) throws IOException, InterruptedException {
        run("ip", "link", "set", outside(i), "up");
    }

    private String namespace(int i) {
        return tag + "n" + i;
    }

    private String outside(int i) {
        return tag + "o" + i;
    }

    private List<String> cmd(String... args) {
        List<String> c = new ArrayList<>(sudo);
        c.addAll(List.of(args));
        return c;
    }

    private void run(String... args) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd(args)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", args) + " failed: " + out.strip());
        }
    }

    private static boolean isRoot() {
        try {
            Process p = new ProcessBuilder("id", "-u").start();
            return new String(p.getInputStream().readAllBytes()).strip().equals("0") && p.waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Removes every link and namespace made (their processes must have stopped). */
    @Override
    public void close() throws InterruptedException {
        for (int i = undo.size() - 1; i >= 0; i--) {
            try {
                run(undo.get(i));
            } catch (IOException ignored) {
                // already gone with its namespace
            }
        }
        undo.clear();
    }
}
