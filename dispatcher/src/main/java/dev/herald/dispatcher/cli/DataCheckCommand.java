package dev.herald.dispatcher.cli;

import dev.herald.dispatcher.check.DataCheck;
import dev.herald.dispatcher.check.DataCheckReport;
import dev.herald.dispatcher.check.Finding;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code herald data check}: verifies every stored file of the data directory without changing
 * anything; one line per damaged file, then a summary. Exit 0 if nothing is damaged, 3 otherwise.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Verifies every stored file of the data directory (checksums, headers, manifests, records) "
                + "without changing anything: nothing is opened for write, locked, created or cut.",
                "Prints '<file>: <what is wrong>' for each damaged file, then a summary. "
                        + "Exit 0 if nothing is damaged, 3 if something is (or there is no Herald data at --data-dir)."})
final class DataCheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path dataDir = ((HeraldCommand) spec.root().userObject()).dataDir;
        if (!Files.isDirectory(dataDir)) {
            throw new NoSuchFileException(dataDir.toString(), null, "no Herald data there (check --data-dir)");
        }
        DataCheckReport report = DataCheck.standard().run(dataDir);
        PrintWriter out = spec.commandLine().getOut();
        for (Finding f : report.damaged()) {
            out.println(f);
        }
        for (Finding f : report.torn()) {
            out.println(f + " (not damage)");
        }
        out.println(report.summary());
        out.flush();
        return report.ok() ? 0 : HeraldCommand.DATA_ERROR;
    }
}
