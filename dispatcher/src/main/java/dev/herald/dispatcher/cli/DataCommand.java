package dev.herald.dispatcher.cli;

import dev.herald.dispatcher.HeraldData;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.IndexOptions;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientDirectory;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** A subcommand that works on the data directory given by {@code herald --data-dir}. */
abstract class DataCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--default-region", paramLabel = "CC",
            description = "Region (ISO 3166 code, e.g. GB) for numbers written in national format.")
    String defaultRegion;

    @Option(names = "--capacity", paramLabel = "N",
            description = {"Recipients the directory is sized for when it is first created (default 10,000,000).",
                    "Disk is allocated up front, about 120 bytes a recipient, so a full disk fails at creation",
                    "rather than mid-import; it grows to at most 8 x N, more slowly past N. Ignored afterwards."})
    Long capacity;

    /** Whether this command may create the data directory (commands that only read may not). */
    boolean createsData() {
        return false;
    }

    /** Index options for this command; commands that purge evidence override it. */
    IndexOptions indexOptions() {
        return IndexOptions.defaults();
    }

    /** Opens the data directory named on the command line. */
    HeraldData data() {
        HeraldCommand root = (HeraldCommand) spec.root().userObject();
        DirectoryOptions opts = DirectoryOptions.defaults();
        if (defaultRegion != null) {
            opts = opts.withDefaultRegion(defaultRegion);
        }
        if (capacity != null) {
            opts = opts.withCapacity(capacity);
        }
        opts = opts.withMasterKey(dev.herald.dispatcher.MasterKeySource.resolve(root.masterKeyFile, System.getenv(),
                com.typesafe.config.ConfigFactory.load()).key().orElse(null));
        return HeraldData.at(root.dataDir, opts, indexOptions(), createsData());
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /**
     * The recipient of {@code phone}, registering the number if the directory does not know it
     * yet (so that an opt-out given before an import still applies afterwards).
     */
    static Recipient recipientOrRegister(RecipientDirectory directory, String phone) throws IOException {
        return directory.find(phone).orElseGet(() -> {
            int id = directory.register(phone, null, null, Map.of()).id();
            return directory.get(id).orElseThrow();
        });
    }

    /**
     * {@code file}, checked to be a readable regular file.
     *
     * @throws IllegalArgumentException naming the file and what it is instead
     */
    static Path inputFile(Path file) {
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no such file: " + file);
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + " is not a regular file (a directory?): expected a CSV file");
        }
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException(file + " is not readable");
        }
        return file;
    }

    @Override
    public final Integer call() throws Exception {
        try (HeraldData data = data()) {
            int code = run(data);
            out().flush();
            return code;
        }
    }

    abstract int run(HeraldData data) throws Exception;
}
