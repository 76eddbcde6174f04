package dev.herald.dispatcher.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RouteClassTest {

    @Test
    void shouldReplaceIdsNamesAndPhonesByPlaceholders() {
        assertEquals("/health", RouteClass.of("/health"));
        assertEquals("/metrics", RouteClass.of("/metrics/"));
        assertEquals("/v1/campaigns", RouteClass.of("/v1/campaigns"));
        assertEquals("/v1/campaigns/preview", RouteClass.of("/v1/campaigns/preview"));
        assertEquals("/v1/campaigns/{id}", RouteClass.of("/v1/campaigns/c-20261122-abc"));
        assertEquals("/v1/campaigns/{id}/events", RouteClass.of("/v1/campaigns/c-1/events"));
        assertEquals("/v1/campaigns/{id}/recipients/{x}", RouteClass.of("/v1/campaigns/c-1/recipients/+447400123456"));
        assertEquals("/v1/suppressions/{id}", RouteClass.of("/v1/suppressions/+447400123456"));
        assertEquals("/v1/campaigns/{id}/optouts", RouteClass.of("/v1/campaigns/c-1/optouts"));
        assertEquals("/v1/recipients/{id}/consent", RouteClass.of("/v1/recipients/+447400123456/consent"));
        assertEquals("/v1/reports/optouts", RouteClass.of("/v1/reports/optouts"));
        assertEquals("/v1/segments/{id}/{x}", RouteClass.of("/v1/segments/vip/whatever"));
        assertEquals("/l/{token}", RouteClass.of("/l/EABya48aXt5C8g"));
        assertEquals("/u/{token}", RouteClass.of("/u/AAAAKgAAAf3ZAAAAAAAAAAAA"));
        assertEquals("/v1/campaigns/{id}/funnel", RouteClass.of("/v1/campaigns/c-1/funnel"));
        assertEquals("/v1/reports/funnel", RouteClass.of("/v1/reports/funnel"));
        assertEquals("/v1/conversions", RouteClass.of("/v1/conversions"));
        assertEquals("/v1/events", RouteClass.of("/v1/events"));
        assertEquals("/v1/me", RouteClass.of("/v1/me"));
        assertEquals("/console", RouteClass.of("/console/"));
        assertEquals("/console/{name}", RouteClass.of("/console/app.js"));
    }

    @Test
    void shouldPutEverythingUnknownInOneClass() {
        assertEquals("other", RouteClass.of("/"));
        assertEquals("other", RouteClass.of("/wp-login.php"));
        assertEquals("other", RouteClass.of("/v1/unknown-group/x"));
        assertEquals("other", RouteClass.of("/v2/campaigns"));
        assertEquals("other", RouteClass.of("/v1/campaigns/a/b/c/d/e"));
        assertEquals("other", RouteClass.of("/console/a/b"));
        assertEquals("other", RouteClass.of(null));
    }
}
