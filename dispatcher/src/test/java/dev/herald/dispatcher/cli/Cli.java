package dev.herald.dispatcher.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code herald} command run in-process as a script would run it, for tests: the exit code and
 * what it printed.
 *
 * <pre>{@code
 * Cli.Result r = Cli.herald(dataDir, "directory", "show", "+447400123456");
 * assertEquals(0, r.code(), r.err());
 * }</pre>
 */
public final class Cli {

    private Cli() {
    }

    /** What a run gave: its exit code, standard output and standard error. */
    public record Result(int code, String out, String err) {
    }

    /** {@code herald --data-dir <data> <args...>} */
    public static Result herald(Path data, String... args) {
        List<String> all = new ArrayList<>(List.of("--data-dir", data.toString()));
        all.addAll(List.of(args));
        return run(all.toArray(String[]::new));
    }

    /** {@code herald <args...>} */
    public static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = HeraldCommand.newCommandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Result(code, out.toString(), err.toString());
    }
}
