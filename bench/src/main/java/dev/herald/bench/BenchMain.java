package dev.herald.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.ProfilersFailedException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Main class of {@code bench/target/benchmarks.jar}: JMH's own command line, plus the JVM flags
 * Chronicle Map needs on every forked benchmark JVM.
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar SuppressionFilterBenchmark -p mode=mmap -rf json -rff bench/target/filter.json
 * }</pre>
 *
 * <p>Why not plain {@code org.openjdk.jmh.Main}: the jar's manifest ({@code Add-Opens},
 * {@code Add-Exports}) applies only to {@code java -jar}, not to the forks JMH starts with
 * {@code -cp}. The flags are spelled out once, in the parent pom's {@code chronicle.jvm.flags};
 * Maven filters them into the {@code herald-jvm.flags} resource and this class prepends them to
 * every fork's JVM arguments, before any {@code -jvmArgsPrepend} given on the command line.
 * Benchmarks therefore must not use {@code @Fork(jvmArgsPrepend = …)} (the command-line level
 * value replaces the annotation's); they add their own flags with {@code jvmArgsAppend}.
 *
 * <p>{@code -h}, {@code -l}, {@code -lp}, {@code -lprof} and {@code -lrf} behave as in JMH; errors
 * exit with status 1 as JMH's main does.
 */
public final class BenchMain {
    /** Classpath resource holding the filtered {@code ${chronicle.jvm.flags}}. */
    static final String FLAGS_RESOURCE = "/herald-jvm.flags";

    private BenchMain() {
    }

    public static void main(String[] args) throws IOException {
        CommandLineOptions cmd;
        try {
            cmd = new CommandLineOptions(args);
        } catch (CommandLineOptionException e) {
            System.err.println("Error parsing command line:");
            System.err.println(" " + e.getMessage());
            System.exit(1);
            return;
        }
        if (cmd.shouldHelp() || cmd.shouldList() || cmd.shouldListWithParams() || cmd.shouldListProfilers()
                || cmd.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(args);
            return;
        }
        Options options = withForkFlags(cmd, forkFlags());
        try {
            Collection<?> results = new Runner(options).run();
            if (results.isEmpty()) {
                System.out.println("No benchmark produced a result.");
            }
        } catch (NoBenchmarksException e) {
            System.err.println("No matching benchmarks. Miss-spelled regexp?");
            if (cmd.verbosity().orElse(VerboseMode.NORMAL) != VerboseMode.EXTRA) {
                System.err.println("Use " + VerboseMode.EXTRA + " verbose mode to debug the pattern matching.");
            } else {
                new Runner(options).list();
            }
            System.exit(1);
        } catch (ProfilersFailedException e) {
            System.err.println(e.getMessage());
            for (Throwable s : e.getSuppressed()) {
                System.err.println(s.getMessage());
            }
            System.exit(1);
        } catch (RunnerException e) {
            System.err.print("ERROR: ");
            e.printStackTrace(System.err);
            System.exit(1);
        }
    }

    /**
     * {@code cmd} with {@code flags} before its own {@code -jvmArgsPrepend} (if any). Everything
     * else — includes, params, forks, profilers, annotation defaults — is left to {@code cmd}.
     */
    static Options withForkFlags(CommandLineOptions cmd, List<String> flags) {
        List<String> prepend = new ArrayList<>(flags);
        prepend.addAll(cmd.getJvmArgsPrepend().orElse(List.of()));
        return new OptionsBuilder()
                .parent(cmd)
                .jvmArgsPrepend(prepend.toArray(new String[0]))
                .build();
    }

    /**
     * The flags from {@link #FLAGS_RESOURCE}, split on white space.
     *
     * @throws IllegalStateException if the resource is missing or was not filtered by Maven
     */
    static List<String> forkFlags() throws IOException {
        String text;
        try (InputStream in = BenchMain.class.getResourceAsStream(FLAGS_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(FLAGS_RESOURCE + " is missing from the classpath: build with Maven");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
        if (text.isEmpty() || text.contains("${")) {
            throw new IllegalStateException(FLAGS_RESOURCE + " was not filtered by Maven (content: '" + text
                    + "'): build with 'mvn -pl bench -am package'");
        }
        return Arrays.asList(text.split("\\s+"));
    }
}
