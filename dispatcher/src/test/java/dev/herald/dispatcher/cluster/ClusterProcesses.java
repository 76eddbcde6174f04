package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Herald cluster nodes as real processes for tests: {@code herald serve --cluster} started with the
 * test's class path, on loopback ports of their own, sharing one storage root; killed with
 * {@code SIGKILL} or stopped with {@code SIGTERM}; asked over HTTP with the admin key.
 *
 * <pre>{@code
 * try (ClusterProcesses c = new ClusterProcesses(tmp, 16, Map.of("herald.cluster.min-members", "3"))) {
 *     c.start(3);
 *     c.awaitCluster(3, Duration.ofMinutes(2));
 *     JsonNode status = c.get(0, "/v1/cluster");
 *     c.kill(2);
 * }
 * }</pre>
 */
final class ClusterProcesses implements AutoCloseable {

    static final String KEY = "hk_cluster_test_admin_key_0123456789";
    static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final int partitions;
    private final Map<String, String> properties;
    private final List<Node> nodes = new ArrayList<>();
    private java.util.function.IntFunction<List<String>> prefix = i -> List.of();
    private java.util.function.IntFunction<String> host = i -> "127.0.0.1";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** One node: its ports and its process (null when not running). */
    static final class Node {
        final int httpPort;
        final int clusterPort;
        final Path log;
        Process process;

        Node(int httpPort, int clusterPort, Path log) {
            this.httpPort = httpPort;
            this.clusterPort = clusterPort;
            this.log = log;
        }

        String host = "127.0.0.1";

        String address() {
            return "pekko://herald@" + host + ":" + clusterPort;
        }
    }

    ClusterProcesses(Path dir, int partitions, Map<String, String> properties) {
        this.dir = dir;
        this.partitions = partitions;
        this.properties = properties;
    }

    /**
     * Where node {@code i} runs: the command its {@code java} is started under (e.g. {@code ip netns
     * exec ns}) and the address it listens on (HTTP and cluster). Default: no prefix, loopback.
     */
    ClusterProcesses placed(java.util.function.IntFunction<List<String>> commandPrefix,
                            java.util.function.IntFunction<String> address) {
        this.prefix = commandPrefix;
        this.host = address;
        return this;
    }

    /** Starts {@code n} nodes; the first is every node's seed. */
    void start(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            Node node = new Node(freePort(), freePort(), dir.resolve("node-" + i + ".log"));
            node.host = host.apply(i);
            nodes.add(node);
        }
        for (int i = 0; i < n; i++) {
            launch(i);
        }
    }

    /** (Re)starts node {@code i} as a process. */
    void launch(int i) throws IOException {
        Node node = nodes.get(i);
        List<String> cmd = new ArrayList<>(prefix.apply(i));
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx768m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        String flags = System.getProperty("herald.test.jvmFlags", "");
        if (!flags.isBlank()) {
            cmd.addAll(Arrays.asList(flags.trim().split("\\s+")));
        }
        cmd.add("-Dherald.cluster.partitions=" + partitions);
        cmd.add("-Dherald.service.directory-capacity=2000000");
        cmd.add("-Dherald.cluster.hostname=" + node.host);
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.herald.dispatcher.cli.HeraldCommand",
                "--data-dir", dir.resolve("node-" + i).toString(), "serve", "--cluster",
                "--host", node.host, "--port", Integer.toString(node.httpPort),
                "--node-port", Integer.toString(node.clusterPort),
                "--seed", nodes.get(0).host + ":" + nodes.get(0).clusterPort, "--storage-root", storageRoot().toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(node.log.toFile()));
        pb.environment().put("HERALD_API_KEY", KEY);
        pb.environment().put("HERALD_LOG_LEVEL", "WARN");
        node.process = pb.start();
    }

    Path storageRoot() {
        return dir.resolve("root");
    }

    Node node(int i) {
        return nodes.get(i);
    }

    /** {@code kill -9} of node {@code i}; returns once the process is gone. */
    void kill(int i) throws InterruptedException {
        Process p = nodes.get(i).process;
        p.destroyForcibly(); // SIGKILL on Linux
        p.waitFor();
    }

    /** Waits until node {@code via} sees {@code members} members Up, all reachable, and every partition placed and open. */
    JsonNode awaitCluster(int via, int members, Duration timeout) throws Exception {
        return await(via, "/v1/cluster", s -> {
            int up = 0;
            for (JsonNode m : s.path("members")) {
                if (m.path("status").asText().equals("Up") && m.path("reachable").asBoolean()) {
                    up++;
                }
            }
            return up == members && s.path("members").size() == members && s.path("unallocated").isEmpty()
                    && s.path("open").asInt() == partitions;
        }, timeout);
    }

    /** Polls {@code path} on node {@code via} until {@code done} holds for its 200 answer. */
    JsonNode await(int via, String path, Predicate<JsonNode> done, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < end) {
            try {
                HttpResponse<String> r = send(via, HttpRequest.newBuilder(uri(via, path)).GET(), Duration.ofSeconds(20));
                last = r.statusCode() + " " + r.body();
                if (r.statusCode() == 200) {
                    JsonNode n = JSON.readTree(r.body());
                    if (done.test(n)) {
                        return n;
                    }
                }
            } catch (IOException notYet) {
                last = notYet.toString();
            }
            Thread.sleep(500);
        }
        throw new AssertionError("node " + via + " " + path + " not as expected within " + timeout + "; last: "
                + (last.length() > 2000 ? last.substring(0, 2000) : last) + "\n" + logs());
    }

    JsonNode get(int via, String path) throws Exception {
        HttpResponse<String> r = send(via, HttpRequest.newBuilder(uri(via, path)).GET(), Duration.ofSeconds(30));
        if (r.statusCode() != 200) {
            throw new AssertionError("GET " + path + " on node " + via + ": " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    HttpResponse<String> post(int via, String path, String contentType, byte[] body, Duration timeout) throws Exception {
        return send(via, HttpRequest.newBuilder(uri(via, path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)), timeout);
    }

    HttpResponse<String> send(int via, HttpRequest.Builder b, Duration timeout) throws IOException, InterruptedException {
        return http.send(b.header("Authorization", "Bearer " + KEY).timeout(timeout).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(int via, String path) {
        return URI.create("http://" + nodes.get(via).host + ":" + nodes.get(via).httpPort + path);
    }

    /**
     * Uploads segment {@code all}: recipients 0..n-1 ({@link #phone}) with a first name, through node
     * {@code via}, all in {@link #afternoonZone()} (a marketing campaign to them is then deferred by
     * nobody's quiet hours, whatever the time of the run). A partition that moved to another node
     * during the upload (sharding balancing the nodes once all are up) refuses it, 503
     * {@code upload_incomplete}, "send the upload again": it is sent again, as a client would, at
     * most twice; it then stores every row.
     */
    void uploadAudience(int via, int n) throws Exception {
        String tz = afternoonZone();
        StringBuilder csv = new StringBuilder(n * 40).append("phone,tz,first_name\n");
        for (int i = 0; i < n; i++) {
            csv.append(phone(i)).append(',').append(tz).append(",Ann").append(i).append('\n');
        }
        HttpResponse<String> up = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            up = post(via, "/v1/segments/all", "text/csv", csv.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    Duration.ofMinutes(5));
            if (up.statusCode() != 503 || !up.body().contains("upload_incomplete")) {
                break;
            }
            System.out.println("ClusterProcesses: upload refused, sent again: " + up.body());
        }
        org.junit.jupiter.api.Assertions.assertEquals(201, up.statusCode(), up.body());
        org.junit.jupiter.api.Assertions.assertEquals(n, JSON.readTree(up.body()).path("size").asLong(), up.body());
    }

    /** Creates a marketing campaign on segment {@code all} at {@code tps} through node {@code via}; @return its id */
    String marketingCampaign(int via, String name, int tps) throws Exception {
        String create = "{\"name\": \"" + name + "\", \"channel\": \"sms\", \"category\": \"marketing\", \"sender\":"
                + " \"default\", \"text\": \"Hi {{first_name}} Reply STOP to opt out\", \"segment\": \"all\", \"tps\": " + tps + "}";
        HttpResponse<String> created = post(via, "/v1/campaigns", "application/json",
                create.getBytes(java.nio.charset.StandardCharsets.UTF_8), Duration.ofMinutes(2));
        org.junit.jupiter.api.Assertions.assertEquals(201, created.statusCode(), created.body());
        return JSON.readTree(created.body()).path("id").asText();
    }

    /**
     * Reads every partition's simulated-connector log: fails if a recipient of campaign {@code id}
     * is in a partition's log twice.
     *
     * @return how many messages of the campaign the connector accepted
     */
    long acceptedOnce(String id) throws IOException {
        long accepted = 0;
        for (int p = 0; p < partitions; p++) {
            Path log = PartitionEntity.folder(storageRoot(), p).resolve("connector").resolve("simulated-accepted.tsv");
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (String line : java.nio.file.Files.readAllLines(log)) {
                String[] f = line.split("\t");
                if (f.length >= 3 && f[1].equals(id)) {
                    org.junit.jupiter.api.Assertions.assertTrue(seen.add(f[2]), "recipient " + f[2] + " of partition " + p
                            + " is in the connector's log twice");
                    accepted++;
                }
            }
        }
        return accepted;
    }

    /** @return a fixed-offset zone where it is about 14:00 now (so that quiet hours defer nobody) */
    static String afternoonZone() {
        int hour = java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).getHour();
        int offset = Math.max(-12, Math.min(14, 14 - hour));
        return offset == 0 ? "Etc/GMT" : "Etc/GMT" + (offset > 0 ? "-" : "+") + Math.abs(offset);
    }

    /** The i-th recipient's number: valid UK mobile numbers +44 7400 000000 onwards. */
    static String phone(int i) {
        return String.format("+4474%08d", i);
    }

    /** The last lines of every node's log, for a failure's message. */
    String logs() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < nodes.size(); i++) {
            try {
                List<String> lines = java.nio.file.Files.readAllLines(nodes.get(i).log);
                b.append("--- node ").append(i).append(" (last 30 lines)\n");
                lines.subList(Math.max(0, lines.size() - 30), lines.size()).forEach(l -> b.append(l).append('\n'));
            } catch (IOException e) {
                b.append("--- node ").append(i).append(": no log\n");
            }
        }
        return b.toString();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Stops every node still running (SIGTERM, then SIGKILL after 30 s). */
    @Override
    public void close() throws InterruptedException {
        for (Node n : nodes) {
            if (n.process != null && n.process.isAlive()) {
                n.process.destroy();
            }
        }
        for (Node n : nodes) {
            if (n.process != null && !n.process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                n.process.destroyForcibly().waitFor();
            }
        }
    }
}
