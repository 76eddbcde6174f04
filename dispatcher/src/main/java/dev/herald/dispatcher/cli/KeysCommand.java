package dev.herald.dispatcher.cli;

import dev.herald.dispatcher.MasterKeySource;
import dev.herald.suppression.MasterKey;
import dev.herald.suppression.RecipientDirectory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

import com.typesafe.config.ConfigFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code herald keys generate|rotate}: the master key that wraps the data keys of the personal
 * data at rest.
 */
@Command(name = "keys", description = "The master key that wraps the keys of the personal data at rest.",
        subcommands = {KeysCommand.Generate.class, KeysCommand.Rotate.class})
final class KeysCommand {

    /** The environment variable holding the new master key for {@code rotate}. */
    static final String NEW_ENV = "HERALD_NEW_MASTER_KEY";

    @Command(name = "generate", description = {
            "Prints a new random master key (base64 of 32 bytes) on standard output. Nothing is stored: keep it",
            "apart from the data (a secret store, a file readable only by the service) and give it to Herald as",
            MasterKeySource.ENV + ", " + MasterKeySource.SETTING + " or --master-key-file before the first upload."})
    static final class Generate implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(MasterKey.generate().encoded());
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "rotate", description = {
            "Re-wraps the data keys of --data-dir under a new master key, without rewriting the data. The current key",
            "comes from --master-key-file, " + MasterKeySource.ENV + " or " + MasterKeySource.SETTING + "; the new one from",
            "--new-key-file or " + NEW_ENV + ". The service must be stopped (the directory is locked while in use).",
            "Afterwards only the new key opens the data."})
    static final class Rotate implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--new-key-file", paramLabel = "FILE", description = "A file holding the new master key.")
        Path newKeyFile;

        @Override
        public Integer call() throws Exception {
            HeraldCommand root = (HeraldCommand) spec.root().userObject();
            Map<String, String> env = System.getenv();
            MasterKeySource current = MasterKeySource.resolve(root.masterKeyFile, env, ConfigFactory.load());
            if (current.key().isEmpty()) {
                throw new IllegalArgumentException("no current master key: give it with --master-key-file, "
                        + MasterKeySource.ENV + " or " + MasterKeySource.SETTING);
            }
            MasterKey next = newKey(env);
            if (next.fingerprint().equals(current.key().get().fingerprint())) {
                throw new IllegalArgumentException("the new master key is the current one (" + next.fingerprint() + ")");
            }
            Path directory = root.dataDir.resolve("directory");
            if (!Files.isDirectory(directory)) {
                throw new java.nio.file.NoSuchFileException(root.dataDir.toString(), null,
                        "no Herald data here (no directory/): nothing to re-key");
            }
            RecipientDirectory.rotateMasterKey(directory, current.key().get(), next);
            spec.commandLine().getOut().printf("re-wrapped the data keys of %s: master key %s -> %s; from now on only the new key opens it%n",
                    root.dataDir, current.key().get().fingerprint(), next.fingerprint());
            spec.commandLine().getOut().flush();
            return 0;
        }

        private MasterKey newKey(Map<String, String> env) throws java.io.IOException {
            if (newKeyFile != null) {
                String what = "--new-key-file " + newKeyFile;
                if (!Files.isRegularFile(newKeyFile)) {
                    throw new IllegalArgumentException(what + ": no such file");
                }
                return MasterKey.parse(Files.readString(newKeyFile).strip(), what);
            }
            String fromEnv = env.get(NEW_ENV);
            if (fromEnv == null || fromEnv.isBlank()) {
                throw new IllegalArgumentException("no new master key: give it with --new-key-file or " + NEW_ENV
                        + " (`herald keys generate` makes one)");
            }
            return MasterKey.parse(fromEnv.strip(), NEW_ENV);
        }
    }
}
