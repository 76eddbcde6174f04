package dev.herald.dispatcher.journey;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Every journey shipped in examples/journeys is taken by the validator, as POST /v1/journeys would. */
class JourneyExamplesTest {

    static final Path EXAMPLES = Path.of("../examples/journeys").toAbsolutePath().normalize();

    @Test
    void everyShippedJourneyIsValid() throws Exception {
        ObjectMapper json = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
        JourneyValidator v = new JourneyValidator(() -> Set.of("first_name"), "quiet_90d"::equals,
                (sender, category, template, footer) -> !sender.equals("acme") ? "unknown sender"
                        : category.equals("marketing") && !template.startsWith("ACME:") ? "no brand prefix" : null);
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(EXAMPLES, "*.json")) {
            for (Path f : files) {
                v.validate(json.readValue(f.toFile(), JourneyDefinition.class));
                names.add(f.getFileName().toString());
            }
        }
        assertEquals(7, names.size(), "the seven examples the issue asks for: " + names);
    }
}
