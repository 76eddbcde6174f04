package dev.herald.dispatcher.harness;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The scenarios of {@code herald bench}, in the order they run.
 *
 * <p>{@code Scenario s = Scenario.byName("opt-outs-mid-send");}
 */
public enum Scenario {
    /** One marketing campaign to the whole audience, as {@code herald demo}: {@link OneBigCampaign}. */
    ONE_BIG_CAMPAIGN("one-big-campaign"),
    /** K campaigns at once to the whole audience, sharing a cap of 1 a day: {@link OverlappingCampaigns}. */
    OVERLAPPING_CAMPAIGNS("overlapping-campaigns"),
    /** One rate-limited campaign while recipients opt out: {@link OptOutsMidSend}. */
    OPT_OUTS_MID_SEND("opt-outs-mid-send");

    private final String label;

    Scenario(String label) {
        this.label = label;
    }

    /** @return the name used on the command line, in the JSON and as the workspace directory */
    public String label() {
        return label;
    }

    /**
     * @param name a scenario's {@link #label()}
     * @return the scenario
     * @throws IllegalArgumentException listing the names if there is no such scenario
     */
    public static Scenario byName(String name) {
        for (Scenario s : values()) {
            if (s.label.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("no scenario '" + name + "'; the scenarios are "
                + Arrays.stream(values()).map(Scenario::label).collect(Collectors.joining(", ")));
    }
}
