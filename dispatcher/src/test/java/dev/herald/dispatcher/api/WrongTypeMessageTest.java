package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A body with a value of the wrong JSON type is refused with {@code wrong_type}, naming the field,
 * what JSON type was expected and what came: never Herald's or Java's class names, which mean
 * nothing to a client.
 */
class WrongTypeMessageTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "{\"name\": 5}                                  | name        | expected a string, got the number 5",
        "{\"name\": [\"a\"]}                            | name        | expected a string, got an array",
        "{\"schedule\": \"tomorrow\"}                   | schedule    | expected an object, got the string \"tomorrow\"",
        "{\"schedule\": {\"at\": \"tomorrow\"}}         | schedule.at | expected an ISO-8601 instant such as \"2026-12-07T09:00:00Z\", got the string \"tomorrow\"",
        "{\"schedule\": {\"at\": true}}                 | schedule.at | expected an ISO-8601 instant such as \"2026-12-07T09:00:00Z\", got true",
        "{\"tps\": \"fast\"}                            | tps         | expected a number, got the string \"fast\"",
        "{\"tps\": {}}                                  | tps         | expected a number, got an object",
    })
    void shouldNameTheFieldAndTheJsonTypesNotJavaClasses(String body, String field, String expected) {
        ApiError e = assertThrows(ApiError.class,
                () -> ApiDirectives.parse(body.getBytes(StandardCharsets.UTF_8), CampaignRoutes.CreateCampaign.class));
        assertEquals(400, e.status());
        assertEquals("wrong_type", e.code());
        assertEquals(field, e.field());
        assertEquals("'" + field + "' has the wrong type: " + expected, e.getMessage());
        assertFalse(e.getMessage().contains("`") || e.getMessage().contains("dev.herald") || e.getMessage().contains("java."),
                e.getMessage());
    }
}
