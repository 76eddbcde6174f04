package dev.herald.dispatcher.service;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code herald serve} in a child JVM, for tests that kill or restart the process for real.
 *
 * <p>{@code ServeChild c = ServeChild.start(data, config, log, "256m", KEY); ... c.process().destroyForcibly();}
 *
 * @param process the child
 * @param port    the port it serves on (it binds port 0 and prints the one it got)
 */
record ServeChild(Process process, int port) {

    private static final Pattern SERVING = Pattern.compile("herald serving on http://127\\.0\\.0\\.1:(\\d+)");

    /**
     * Starts {@code herald --data-dir data serve --port 0 --config config} on the test class path
     * (plus {@code herald.test.jvmFlags}), with {@code HERALD_API_KEY = apiKey} and stderr appended
     * to {@code log}, and waits up to 90 s for it to serve.
     */
    static ServeChild start(Path data, Path config, Path log, String heap, String apiKey) throws Exception {
        return start(data, config, log, heap, apiKey, false);
    }

    /**
     * As {@link #start(Path, Path, Path, String, String)}; with {@code longRunning} the child gets
     * {@code herald.test.longRunningJvmFlags} instead: no quick-start flags (C1 only, serial GC),
     * for a child that works hard for long (a million-line upload and send), where they cost more
     * than they save.
     */
    static ServeChild start(Path data, Path config, Path log, String heap, String apiKey, boolean longRunning) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + heap));
        String flags = System.getProperty(longRunning ? "herald.test.longRunningJvmFlags" : "herald.test.jvmFlags", "");
        if (!flags.isBlank()) {
            cmd.addAll(Arrays.asList(flags.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.herald.dispatcher.cli.HeraldCommand",
                "--data-dir", data.toString(), "serve", "--port", "0", "--config", config.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("HERALD_API_KEY", apiKey);
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    Matcher m = SERVING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
                port.completeExceptionally(new AssertionError("child ended without serving; see " + log));
            } catch (Exception e) {
                port.completeExceptionally(e);
            }
        }, "child-stdout");
        reader.setDaemon(true);
        reader.start();
        return new ServeChild(p, port.get(90, TimeUnit.SECONDS));
    }
}
