/**
 * What the campaign routes share, and the metrics with them, apart from HTTP: a create or preview
 * body's {@link dev.herald.dispatcher.api.campaign.CampaignValidation validation} and
 * {@link dev.herald.dispatcher.api.campaign.CampaignCompliance compliance}, its
 * {@link dev.herald.dispatcher.api.campaign.Audiences audience}, campaign
 * {@link dev.herald.dispatcher.api.campaign.CampaignIds ids}, the asks of the campaign manager, the
 * {@link dev.herald.dispatcher.api.campaign.CampaignStatusCache status cache} and the
 * {@link dev.herald.dispatcher.api.campaign.CampaignView view} with the outcome families.
 *
 * <p>The route classes in {@code dev.herald.dispatcher.api} keep the paths, directives, auth and
 * marshalling (the request body {@code CampaignRoutes.CreateCampaign} stays there: its Java name
 * shows in some of Jackson's wrong-type messages).
 */
package dev.herald.dispatcher.api.campaign;
