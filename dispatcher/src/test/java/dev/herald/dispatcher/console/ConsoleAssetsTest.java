package dev.herald.dispatcher.console;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ConsoleAssetsTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldAnswerAKnownFileWithItsTypeAndAStableEtag() {
        Map<String, byte[]> files = Map.of("app.js", utf8("import './x.js';"), "console.css", utf8("body{}"),
                "index.html", utf8("<!doctype html>"), "icon.svg", utf8("<svg/>"));
        ConsoleAssets assets = new ConsoleAssets(files::get);
        ConsoleAssets.Asset js = assets.get("app.js").orElseThrow();
        assertEquals("text/javascript; charset=utf-8", js.contentType());
        assertArrayEquals(files.get("app.js"), js.bytes());
        assertTrue(js.etag().matches("\"[0-9a-f]{32}\""), js.etag());
        assertEquals(js.etag(), new ConsoleAssets(files::get).get("app.js").orElseThrow().etag(), "the same bytes, the same tag");
        assertNotEquals(js.etag(), assets.get("console.css").orElseThrow().etag());
        assertEquals("text/css; charset=utf-8", assets.get("console.css").orElseThrow().contentType());
        assertEquals("text/html; charset=utf-8", assets.get("index.html").orElseThrow().contentType());
        assertEquals("image/svg+xml", assets.get("icon.svg").orElseThrow().contentType());
    }

    @Test
    void shouldNeverLookUpANameThatCouldLeaveTheFolder() {
        List<String> asked = new ArrayList<>();
        ConsoleAssets assets = new ConsoleAssets(name -> {
            asked.add(name);
            return utf8("anything");
        });
        for (String name : List.of("../api-keys.json", "..", ".", "", "a/b.js", "a\\b.js", "%2e%2e.js", ".app.js", "APP.js",
                "app.js\u0000.html", "app.json", "app.js/", "/app.js", "app.js ", "x".repeat(60) + ".js", "app")) {
            assertTrue(assets.get(name).isEmpty(), name);
        }
        assertTrue(assets.get(null).isEmpty());
        assertEquals(List.of(), asked, "no such name reaches the file source");
        assertTrue(assets.get("app-2.js").isPresent());
        assertEquals(List.of("app-2.js"), asked);
    }

    @Test
    void shouldNotRememberAbsentNamesAndShouldSayWhichFileCouldNotBeRead() {
        ConsoleAssets absent = new ConsoleAssets(name -> null);
        assertTrue(absent.get("nope.js").isEmpty());
        ConsoleAssets broken = new ConsoleAssets(name -> {
            throw new IOException("disk gone");
        });
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> broken.get("app.js"));
        assertTrue(e.getMessage().contains("app.js"), e.getMessage());
    }

    @Test
    void shouldShipTheConsoleInTheJar() {
        ConsoleAssets jar = ConsoleAssets.fromJar();
        for (String name : List.of("index.html", "app.js", "api.js", "dom.js", "console.css", "icon.svg")) {
            assertTrue(jar.get(name).isPresent(), name);
        }
        assertTrue(jar.get("ConsoleAssets.class").isEmpty(), "only console files, not the classes beside them");
    }
}
