package dev.herald.dispatcher.cli;

import java.io.PrintWriter;
import java.nio.file.Path;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code herald} command: {@code java -jar herald.jar <command> …}.
 *
 * <p>Exit codes: 0 success; 1 a negative answer where a command says so
 * ({@code suppression check}: not suppressed); 2 bad input (usage, an invalid number, a
 * malformed scope or file); 3 the data could not be read or written (in use, damaged, I/O).
 */
// scope INHERIT: every subcommand, at any depth, takes --help (and --version) as well
@Command(name = "herald", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        versionProvider = HeraldCommand.Version.class,
        description = "Herald: a high-throughput campaign dispatcher that keeps recipients' trust.",
        subcommands = {DirectoryCommand.class, SuppressionCommand.class, LedgerCommand.class, DemoCommand.class,
                BenchCommand.class, ServeCommand.class, InboundLoadCommand.class, ClickLoadCommand.class, DataGroupCommand.class,
                MessagesCommand.class, KeysCommand.class, ClusterCommand.class,
                CommandLine.HelpCommand.class})
public final class HeraldCommand {
    /** Exit code for a negative answer ({@code suppression check}: not suppressed). */
    public static final int NO = 1;
    /** Exit code for bad input. */
    public static final int BAD_INPUT = 2;
    /** Exit code for data that could not be read or written. */
    public static final int DATA_ERROR = 3;

    @Option(names = "--data-dir", scope = CommandLine.ScopeType.INHERIT, defaultValue = "herald-data",
            description = "Data directory (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--master-key-file", scope = CommandLine.ScopeType.INHERIT, paramLabel = "FILE",
            description = {"A file holding the master key that wraps the keys of the personal data at rest (base64 of 32 bytes;",
                    "else HERALD_MASTER_KEY_FILE, HERALD_MASTER_KEY or herald.data.master-key). Without one, data is stored unencrypted."})
    Path masterKeyFile;

    private static final String COMMON_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    public static void main(String[] args) {
        // Before any Chronicle class loads: Herald makes no network call that nobody asked for.
        System.setProperty("chronicle.analytics.disable", "true");
        // Before any CompletableFuture runs: with one or two CPUs the JDK's common pool has a
        // parallelism of 1, and then every async step given no executor starts a thread of its own.
        // Pekko's Java API futures run their callbacks that way (thenApply becomes thenApplyAsync),
        // so a cluster node of 64 partitions started ~140 threads a second while sending.
        if (System.getProperty(COMMON_PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 2) {
            System.setProperty(COMMON_PARALLELISM, "2");
        }
        System.exit(newCommandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true)).execute(args));
    }

    /** A command line writing to {@code out} and {@code err}, with Herald's error handling. */
    public static CommandLine newCommandLine(PrintWriter out, PrintWriter err) {
        System.setProperty("chronicle.analytics.disable", "true");
        CommandLine cl = new CommandLine(new HeraldCommand());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExitCodeExceptionMapper(Failures::exitCode);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("herald: " + Failures.describe(e));
            commandLine.getErr().flush();
            return Failures.exitCode(e);
        });
        return cl;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = HeraldCommand.class.getPackage().getImplementationVersion();
            return new String[] {"herald " + (v == null ? "(development build)" : v)};
        }
    }
}
