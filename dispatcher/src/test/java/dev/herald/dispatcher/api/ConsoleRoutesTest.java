package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /console/} over plain HTTP against a real service: every file with its content type and
 * the strict headers, 304 on a matching ETag, 404 for anything else, every traversal refused.
 */
class ConsoleRoutesTest {

    /** The console's files in the source tree (surefire runs in the module's folder). */
    static final Path SOURCES = Path.of("src/main/resources/dev/herald/dispatcher/console");
    static final Map<String, String> TYPES = Map.of("html", "text/html; charset=UTF-8", "css", "text/css; charset=UTF-8",
            "js", "text/javascript; charset=UTF-8", "svg", "image/svg+xml");

    @TempDir
    static Path dir;
    static ConsoleFixture f;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        f = ConsoleFixture.start(dir, 0);
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    static HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(f.base() + path)).timeout(Duration.ofSeconds(20));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static List<Path> files() throws Exception {
        try (Stream<Path> s = Files.list(SOURCES)) {
            return s.sorted().toList();
        }
    }

    static void assertStrictHeaders(HttpResponse<?> r) {
        String where = r.uri() + " " + r.statusCode();
        assertEquals(ConsoleRoutes.CONTENT_SECURITY_POLICY, r.headers().firstValue("Content-Security-Policy").orElse(null), where);
        String csp = ConsoleRoutes.CONTENT_SECURITY_POLICY;
        assertTrue(csp.contains("script-src 'self';") && csp.contains("style-src 'self';") && csp.contains("frame-ancestors 'none'")
                && !csp.contains("unsafe"), csp);
        assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(null), where);
        assertEquals("no-referrer", r.headers().firstValue("Referrer-Policy").orElse(null), where);
        assertEquals("DENY", r.headers().firstValue("X-Frame-Options").orElse(null), where);
        assertEquals("no-cache", r.headers().firstValue("Cache-Control").orElse(null), where);
    }

    @Test
    void shouldServeEveryConsoleFileWithItsTypeAndStrictHeadersWithoutAKey() throws Exception {
        List<Path> files = files();
        assertTrue(files.size() >= 8, "the console's files: " + files);
        for (Path p : files) {
            String name = p.getFileName().toString();
            assertTrue(dev.herald.dispatcher.console.ConsoleAssets.NAME.matcher(name).matches(),
                    name + " cannot be served: rename it to fit ConsoleAssets.NAME");
            HttpResponse<byte[]> r = get("/console/" + name);
            assertEquals(200, r.statusCode(), name);
            assertEquals(TYPES.get(name.substring(name.lastIndexOf('.') + 1)), r.headers().firstValue("Content-Type").orElse(null),
                    name);
            assertArrayEquals(Files.readAllBytes(p), r.body(), name);
            assertStrictHeaders(r);
            String etag = r.headers().firstValue("ETag").orElseThrow();
            assertTrue(etag.matches("\"[0-9a-f]{32}\""), etag);
            HttpResponse<byte[]> again = get("/console/" + name, "If-None-Match", etag);
            assertEquals(304, again.statusCode(), name);
            assertEquals(0, again.body().length);
            assertEquals(200, get("/console/" + name, "If-None-Match", "\"other\"").statusCode());
        }
        HttpResponse<byte[]> index = get("/console/");
        assertEquals(200, index.statusCode());
        assertEquals("text/html; charset=UTF-8", index.headers().firstValue("Content-Type").orElseThrow());
        assertArrayEquals(Files.readAllBytes(SOURCES.resolve("index.html")), index.body());
        assertStrictHeaders(index);
        HttpResponse<byte[]> bare = get("/console");
        assertEquals(308, bare.statusCode());
        assertEquals("/console/", bare.headers().firstValue("Location").orElseThrow());
        assertStrictHeaders(bare);
    }

    /** The CSP forbids inline script and style; the files must not need them, nor reach the network, nor parse HTML. */
    @Test
    void shouldShipNoInlineScriptNoInlineStyleNoHtmlParsingAndNoUrlOutsideThisServer() throws Exception {
        Pattern url = Pattern.compile("(?i)\\b(https?:)?//[a-z0-9.-]+\\.[a-z]{2,}");
        for (Path p : files()) {
            String name = p.getFileName().toString();
            String text = Files.readString(p);
            Matcher m = url.matcher(text);
            while (m.find()) {
                assertEquals("http://www.w3.org", m.group(), name + " names a URL: the page must not reach the network");
            }
            if (name.endsWith(".html") || name.endsWith(".svg")) {
                assertFalse(Pattern.compile("(?i)<script(?![^>]*\\bsrc=)").matcher(text).find(), name + ": inline script");
                assertFalse(Pattern.compile("(?i)<style|\\sstyle=|\\son[a-z]+=").matcher(text).find(), name + ": inline style or handler");
            }
            if (name.endsWith(".js")) {
                for (String banned : List.of("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                        "new Function", "setAttribute('style'", ".cookie", "localStorage")) {
                    assertFalse(text.contains(banned), name + " uses " + banned);
                }
            }
        }
    }

    @Test
    void shouldAnswer404ForAnyOtherName() throws Exception {
        for (String path : List.of("/console/nope.js", "/console/APP.JS", "/console/app.js.bak", "/console/.app.js",
                "/console/app", "/console/index.htm", "/console/a/b.js", "/console/ app.js")) {
            HttpResponse<byte[]> r = get(path.replace(" ", "%20"));
            assertEquals(404, r.statusCode(), path);
            String body = new String(r.body(), StandardCharsets.UTF_8);
            assertFalse(body.contains("import "), path + " served a file: " + body);
        }
        HttpResponse<byte[]> r = get("/console/nope.js");
        assertEquals("text/plain; charset=UTF-8", r.headers().firstValue("Content-Type").orElseThrow());
        assertStrictHeaders(r);
    }

    @Test
    void shouldRefuseEveryTraversalWhateverItsEncoding() throws Exception {
        // raw requests, no key: no client normalises these paths before they reach the server. The server
        // may resolve dot segments itself (/console/../v1/keys is /v1/keys, which wants a key: 401); what it
        // never does is answer a file from outside the console's folder.
        for (String path : List.of("/console/../api-keys.json", "/console/../../data/api-keys.json",
                "/console/..%2fapi-keys.json", "/console/..%2Fdata%2Fapi-keys.json", "/console/%2e%2e/api-keys.json",
                "/console/%2e%2e%2fapi-keys.json", "/console/%2E%2E%2Fv1%2Fkeys", "/console/..%5capi-keys.json",
                "/console/..\\api-keys.json", "/console/%252e%252e%252fapi-keys.json", "/console/....//api-keys.json",
                "/console/..", "/console/%2e%2e", "/console/.%2e/api-keys.json", "/console/app.js%00.html",
                "/console/%c0%ae%c0%ae/api-keys.json", "/console//etc/passwd", "/console/../v1/keys",
                "/console/%2fetc%2fpasswd", "/console/..;/v1/keys")) {
            String answer = raw(path);
            String status = answer.substring(0, answer.indexOf("\r\n"));
            assertTrue(status.matches("HTTP/1\\.1 (400|401|404) .*"), path + " answered " + status);
            assertFalse(answer.contains("sha256") || answer.contains("\"keys\"") || answer.contains("root:"),
                    path + " leaked: " + answer);
        }
    }

    /** @return the whole answer to {@code GET path} sent byte for byte */
    static String raw(String path) throws Exception {
        try (Socket s = new Socket("127.0.0.1", f.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            return all.toString(StandardCharsets.UTF_8);
        }
    }
}
