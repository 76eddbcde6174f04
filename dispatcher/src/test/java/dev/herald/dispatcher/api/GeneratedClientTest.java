package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.client.ApiClient;
import dev.herald.client.ApiException;
import dev.herald.client.api.CampaignsApi;
import dev.herald.client.api.KeysApi;
import dev.herald.client.api.SegmentsApi;
import dev.herald.client.api.SuppressionsApi;
import dev.herald.client.model.AddSuppressionsRequest;
import dev.herald.client.model.Campaign;
import dev.herald.client.model.CampaignRequest;
import dev.herald.client.model.CreateKeyRequest;
import dev.herald.client.model.CreatedCampaign;
import dev.herald.client.model.OptOutResult;
import dev.herald.client.model.SegmentUpload;
import dev.herald.dispatcher.service.HeraldService;
import dev.herald.dispatcher.service.ServiceSettings;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client generated from {@code openapi.yaml} (openapi-generator, library {@code native}, in
 * {@code generate-test-sources}) drives a real service: what it sends is what the server takes, and
 * what the server answers parses into the described models. A description that drifts from the
 * server (a renamed field, a status the client does not expect) fails here.
 */
class GeneratedClientTest {

    private static final String ADMIN = "generated-client-admin-key-0123456789";
    private static final int RECIPIENTS = 40;

    @Test
    void shouldCreateACampaignAndWatchItToCompletionThroughTheGeneratedClient(@TempDir Path dir) throws Exception {
        try (Service service = Service.start(dir)) {
            ApiClient admin = service.client(ADMIN);
            CampaignsApi api = new CampaignsApi(admin);

            StringBuilder csv = new StringBuilder("phone,tz,first_name\n");
            for (int i = 0; i < RECIPIENTS; i++) {
                csv.append(String.format("+447400125%03d,Europe/London,Ada%d\n", i, i));
            }
            SegmentUpload upload = new SegmentsApi(admin).uploadSegment("generated", csv.toString());
            assertEquals(RECIPIENTS, upload.getSize(), upload.toString());
            assertEquals(0, upload.getRejected(), upload.toString());

            OptOutResult optOut = new SuppressionsApi(admin).addSuppressions(new AddSuppressionsRequest().phones(List.of("+447400125007", "+447400125008"))
                    .scope("global").reason("generated client test"), null, null);
            assertEquals(2, optOut.getSuppressed(), optOut.toString());

            CreatedCampaign created = api.createCampaign(new CampaignRequest().name("generated client").channel("sms")
                    .category("promotions").sender("acme").text("ACME: spring sale, {{first_name}}").segment("generated"), null);
            String id = created.getId();
            assertTrue(id != null && !id.isBlank(), created.toString());

            Campaign done = awaitFinished(api, id);
            assertEquals(Campaign.StatusEnum.COMPLETED, done.getStatus(), done.toString());
            assertEquals(RECIPIENTS, done.getTotal(), done.toString());
            assertEquals(RECIPIENTS - 2, done.getCounts().getSent(), done.toString());
            assertEquals(2, done.getCounts().getSuppressed(), done.toString());
            assertEquals(0, done.getCounts().getFailed(), done.toString());
            assertEquals(0, done.getCounts().getUnknown(), done.toString());
            assertEquals(0, done.getCounts().getPending(), done.toString());
            assertTrue(api.listCampaigns().getCampaigns().stream().anyMatch(c -> id.equals(c.getId())), "listCampaigns has " + id);

            ApiException missing = assertThrows(ApiException.class, () -> api.getCampaign("no-such-campaign"));
            assertEquals(404, missing.getCode(), missing.getResponseBody());
            String viewer = new KeysApi(admin).createKey(new CreateKeyRequest().role(CreateKeyRequest.RoleEnum.VIEWER)).getKey();
            ApiException viewerCreates = assertThrows(ApiException.class, () -> new CampaignsApi(service.client(viewer))
                    .createCampaign(new CampaignRequest().name("refused").channel("sms").category("promotions").sender("acme")
                            .text("ACME: no").segment("generated"), null));
            assertEquals(403, viewerCreates.getCode(), viewerCreates.getResponseBody());
        }
    }

    /** Reads the campaign through the client until it is no longer scheduled or running, at most 60 s. */
    private static Campaign awaitFinished(CampaignsApi api, String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Campaign last = api.getCampaign(id);
        while (last.getStatus() == Campaign.StatusEnum.SCHEDULED || last.getStatus() == Campaign.StatusEnum.RUNNING) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("still " + last.getStatus() + " after 60 s: " + last);
            }
            Thread.sleep(100);
            last = api.getCampaign(id);
        }
        return last;
    }

    /** A real {@link HeraldService} on a free port: quiet hours open all day, sender {@code acme}. */
    private record Service(HeraldService service) implements AutoCloseable {

        static Service start(Path dir) throws Exception {
            Config config = ConfigFactory.parseString("""
                    herald.service.directory-capacity = 1000
                    herald.service.ask-timeout = 30s
                    herald.quiet-hours.policies.default.categories {
                      marketing.windows = ["00:00-24:00"]
                      promotions.windows = ["00:00-24:00"]
                    }
                    herald.quiet-hours.policies.default.countries = {}
                    herald.senders.profiles.acme { brand = "ACME", categories = ["promotions"], numbers = ["60777"] }
                    """).withFallback(ConfigFactory.load()).resolve();
            return new Service(HeraldService.start(dir.resolve("data"), config,
                    ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0), Map.of("HERALD_API_KEY", ADMIN),
                    new PrintWriter(new StringWriter(), true)));
        }

        /** The generated client's configuration: the service's address, {@code key} as the bearer token. */
        ApiClient client(String key) {
            ApiClient client = new ApiClient();
            client.updateBaseUri("http://127.0.0.1:" + service.port());
            client.setReadTimeout(Duration.ofSeconds(30));
            client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + key));
            return client;
        }

        @Override
        public void close() {
            service.stop().toCompletableFuture().join();
        }
    }
}
