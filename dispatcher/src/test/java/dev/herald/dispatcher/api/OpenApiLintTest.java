package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Lints {@code openapi.yaml} with Redocly CLI's recommended rules ({@code src/test/openapi-lint}, pinned
 * there): no error may be reported. Without node or the package ({@code npm ci --prefix
 * dispatcher/src/test/openapi-lint}) the test is skipped, unless {@code HERALD_PEER_TESTS=required}
 * ({@code .ci/run} sets it), when it fails.
 */
class OpenApiLintTest {

    private static final Path LINT_DIR = Path.of("src/test/openapi-lint").toAbsolutePath();
    private static final Path CLI = LINT_DIR.resolve("node_modules/@redocly/cli/bin/cli.js");
    private static final Path SPEC = Path.of("src/main/resources/dev/herald/dispatcher/api/openapi.yaml").toAbsolutePath();

    @Test
    void shouldPassRedoclyLintWithoutErrors() throws Exception {
        requireRedocly();
        assertTrue(Files.isRegularFile(SPEC), SPEC.toString());
        ProcessBuilder pb = new ProcessBuilder("node", CLI.toString(), "lint", "--format", "stylish", SPEC.toString())
                .directory(LINT_DIR.toFile()).redirectErrorStream(true);
        // no usage reports and no update check: the lint makes no network call
        pb.environment().put("REDOCLY_TELEMETRY", "off");
        pb.environment().put("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true");
        pb.environment().put("NO_COLOR", "1");
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "redocly lint did not end");
        System.out.println(out);
        assertEquals(0, p.exitValue(), "redocly lint reports errors in openapi.yaml:\n" + out);
        assertTrue(out.contains("openapi.yaml"), "redocly lint did not read the file:\n" + out);
    }

    /** Skips (or fails, when peers are required) if node or the pinned @redocly/cli is missing. */
    private static void requireRedocly() {
        String why = null;
        if (!Files.isRegularFile(CLI)) {
            why = "the OpenAPI lint needs @redocly/cli: npm ci --prefix dispatcher/src/test/openapi-lint";
        } else {
            try {
                Process p = new ProcessBuilder(List.of("node", "--version")).redirectErrorStream(true).start();
                if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    why = "node --version failed";
                }
            } catch (IOException | InterruptedException e) {
                why = "the OpenAPI lint needs node (Node.js 20.19+): " + e.getMessage();
            }
        }
        if (why == null) {
            return;
        }
        if ("required".equals(System.getenv("HERALD_PEER_TESTS"))) {
            fail(why + "; HERALD_PEER_TESTS=required");
        }
        Assumptions.abort("skipped: " + why);
    }
}
