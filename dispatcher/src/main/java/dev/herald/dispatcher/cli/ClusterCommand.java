package dev.herald.dispatcher.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code herald cluster}: a running cluster, asked through one of its nodes. */
@Command(name = "cluster", description = "A running Herald cluster, asked through one of its nodes' HTTP API.",
        subcommands = {ClusterCommand.Status.class})
final class ClusterCommand {

    /** {@code herald cluster status}: the members and the partitions each runs ({@code GET /v1/cluster}). */
    @Command(name = "status", description = {
            "Shows the cluster's members as the node at --url sees them (address, status, reachable) and the partitions"
                    + " each runs; partitions running nowhere now (moving to another node) are listed as unallocated.",
            "The API key is HERALD_API_KEY from the environment (any role). Exit 0; 1 if the node cannot be asked or"
                    + " answers with an error; 4 if a member is unreachable or a partition is unallocated or still opening."})
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080",
                description = "A node's HTTP API (default: ${DEFAULT-VALUE}).")
        String url;

        @Option(names = "--json", description = "Print the node's answer as it is (JSON).")
        boolean json;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            String key = System.getenv("HERALD_API_KEY");
            if (key == null || key.isBlank()) {
                throw new IllegalArgumentException("HERALD_API_KEY is not set: the API key to ask the node with");
            }
            URI uri;
            try {
                uri = URI.create(url.replaceAll("/+$", "") + "/v1/cluster");
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--url: not a URL: " + url);
            }
            HttpResponse<String> r;
            try {
                r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(HttpRequest.newBuilder(uri)
                        .header("Authorization", "Bearer " + key.strip()).timeout(Duration.ofSeconds(30)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (java.io.IOException e) {
                err.println("herald: cannot ask " + uri + ": " + (e instanceof java.net.ConnectException
                        ? "nothing answers there (is the node running?)" : e.getMessage() == null ? e.toString() : e.getMessage()));
                return 1;
            }
            if (r.statusCode() != 200) {
                err.println("herald: " + uri + " answered " + r.statusCode() + ": " + r.body());
                return 1;
            }
            JsonNode s = new ObjectMapper().readTree(r.body());
            boolean whole = s.path("unallocated").isEmpty() && s.path("open").asInt() == s.path("partitions").asInt();
            for (JsonNode m : s.path("members")) {
                whole &= m.path("reachable").asBoolean();
            }
            if (json) {
                out.println(r.body());
                out.flush();
                return whole ? 0 : 4;
            }
            out.printf("cluster seen from %s: %d member(s), %d partitions under %s (%d open, %d recipients); leader %s%n",
                    s.path("self").asText(), s.path("members").size(), s.path("partitions").asInt(),
                    s.path("storageRoot").asText(), s.path("open").asInt(), s.path("recipients").asLong(),
                    s.path("leader").asText("none"));
            for (JsonNode m : s.path("members")) {
                List<String> parts = new ArrayList<>();
                m.path("partitions").forEach(p -> parts.add(p.asText()));
                List<String> opening = new ArrayList<>();
                m.path("opening").forEach(p -> opening.add(p.asText()));
                out.printf("  %-40s %-8s %-11s %3d partition(s): %s%s%n", m.path("address").asText(), m.path("status").asText(),
                        m.path("reachable").asBoolean() ? "reachable" : "UNREACHABLE", parts.size(),
                        parts.isEmpty() ? "-" : String.join(" ", parts),
                        opening.isEmpty() ? "" : " (still opening: " + String.join(" ", opening) + ")");
            }
            List<String> none = new ArrayList<>();
            s.path("unallocated").forEach(p -> none.add(p.asText()));
            out.println("  unallocated: " + (none.isEmpty() ? "none" : String.join(" ", none) + " (moving, or not started yet)"));
            out.flush();
            return whole ? 0 : 4;
        }
    }

    private ClusterCommand() {
    }
}
