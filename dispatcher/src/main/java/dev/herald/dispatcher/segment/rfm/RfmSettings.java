package dev.herald.dispatcher.segment.rfm;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code herald.segments.rfm}: the window, the schedule, the lifecycle thresholds and the tiers
 * (documented key by key in {@code herald-segments.conf}).
 *
 * <pre>{@code
 * RfmSettings s = RfmSettings.fromConfig(ConfigFactory.load());
 * }</pre>
 *
 * @param window         purchases of the last window count for the scores
 * @param recomputeEvery how often {@code herald serve} recomputes; zero: never on a schedule
 * @param lifecycle      the lifecycle thresholds
 * @param tiers          the named tiers, first match wins
 */
public record RfmSettings(Duration window, Duration recomputeEvery, RfmModel.Lifecycle lifecycle, List<RfmModel.Tier> tiers) {

    private static final String PATH = "herald.segments.rfm";

    /** 365 days, hourly, 30/90/180 days, {@link RfmModel#DEFAULT_TIERS}. */
    public static final RfmSettings DEFAULTS = new RfmSettings(Duration.ofDays(365), Duration.ofHours(1),
            RfmModel.Lifecycle.DEFAULTS, RfmModel.DEFAULT_TIERS);

    /** @throws IllegalArgumentException naming the key that is out of range */
    public RfmSettings {
        if (window == null || window.compareTo(Duration.ofDays(1)) < 0 || window.compareTo(Duration.ofDays(3650)) > 0) {
            throw new IllegalArgumentException(PATH + ".window must be between 1d and 3650d, got " + window);
        }
        if (recomputeEvery == null || recomputeEvery.isNegative() || (!recomputeEvery.isZero()
                && (recomputeEvery.compareTo(Duration.ofMinutes(1)) < 0 || recomputeEvery.compareTo(Duration.ofDays(30)) > 0))) {
            throw new IllegalArgumentException(PATH + ".recompute-every must be 0s or between 1m and 30d, got " + recomputeEvery);
        }
        if (tiers == null || tiers.isEmpty() || tiers.size() > 32) {
            throw new IllegalArgumentException(PATH + ".tiers must hold 1-32 tiers, got " + (tiers == null ? 0 : tiers.size()));
        }
        Set<String> names = new HashSet<>();
        for (RfmModel.Tier t : tiers) {
            if (!names.add(t.name())) {
                throw new IllegalArgumentException(PATH + ".tiers: the tier name '" + t.name() + "' is used twice");
            }
        }
        tiers = List.copyOf(tiers);
    }

    /** @return the tier names, in order */
    public List<String> tierNames() {
        return tiers.stream().map(RfmModel.Tier::name).toList();
    }

    /**
     * @param root the whole configuration
     * @return the settings
     * @throws IllegalArgumentException naming the key that is missing, of the wrong type or out of range
     */
    public static RfmSettings fromConfig(Config root) {
        try {
            RfmModel.Lifecycle lifecycle;
            try {
                lifecycle = new RfmModel.Lifecycle(root.getDuration(PATH + ".lifecycle.new"),
                        root.getDuration(PATH + ".lifecycle.dormant"), root.getDuration(PATH + ".lifecycle.lost"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(PATH + ".lifecycle: " + e.getMessage(), e);
            }
            List<RfmModel.Tier> tiers = new ArrayList<>();
            List<? extends Config> list = root.getConfigList(PATH + ".tiers");
            for (int i = 0; i < list.size(); i++) {
                Config t = list.get(i);
                String at = PATH + ".tiers[" + i + "]";
                String name = t.hasPath("name") ? t.getString("name") : null;
                int[] r = range(t, "r", at);
                int[] f = range(t, "f", at);
                int[] m = range(t, "m", at);
                try {
                    tiers.add(new RfmModel.Tier(name, r[0], r[1], f[0], f[1], m[0], m[1]));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(at + ": " + e.getMessage(), e);
                }
            }
            return new RfmSettings(root.getDuration(PATH + ".window"), root.getDuration(PATH + ".recompute-every"), lifecycle,
                    tiers);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("configuration: " + e.getMessage(), e);
        }
    }

    /** {@code "4-5"} or {@code "3"} (or a number). */
    private static int[] range(Config t, String key, String at) {
        if (!t.hasPath(key)) {
            throw new IllegalArgumentException(at + "." + key + " is missing: a score range such as \"4-5\" or \"3\"");
        }
        String s = t.getValue(key).unwrapped().toString().trim();
        java.util.regex.Matcher mt = java.util.regex.Pattern.compile("([1-5])(?:\\s*-\\s*([1-5]))?").matcher(s);
        if (!mt.matches()) {
            throw new IllegalArgumentException(at + "." + key + " must be a score range within 1-5 such as \"4-5\" or \"3\", got '"
                    + s + "'");
        }
        int lo = Integer.parseInt(mt.group(1));
        int hi = mt.group(2) == null ? lo : Integer.parseInt(mt.group(2));
        return new int[] {lo, hi};
    }
}
