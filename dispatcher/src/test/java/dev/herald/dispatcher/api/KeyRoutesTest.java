package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /v1/me} against a real service: the calling key's id and role, never its secret. */
class KeyRoutesTest {

    @Test
    void shouldAnswerTheCallingKeysIdAndRoleAtMe(@TempDir Path dir) throws Exception {
        try (ConsoleFixture f = ConsoleFixture.start(dir, 0)) {
            JsonNode admin = f.get("/v1/me");
            assertEquals("admin", admin.path("role").asText(), admin.toString());
            assertFalse(admin.path("id").asText().isEmpty(), admin.toString());
            assertFalse(admin.toString().contains(ConsoleFixture.ADMIN), "the secret is never answered");
            JsonNode viewer = f.key("viewer");
            JsonNode me = f.json(f.call("GET", "/v1/me", viewer.path("key").asText(), null, null));
            assertEquals("viewer", me.path("role").asText());
            assertEquals(viewer.path("id").asText(), me.path("id").asText());
            assertFalse(me.has("key") || me.has("sha256"), me.toString());
            assertEquals(401, f.call("GET", "/v1/me", null, null, null).statusCode());
            assertEquals(401, f.call("GET", "/v1/me", "hk_not-a-key-at-all-123", null, null).statusCode());
            assertEquals(405, f.call("POST", "/v1/me", ConsoleFixture.ADMIN, "application/json", "{}").statusCode());
        }
    }
}
