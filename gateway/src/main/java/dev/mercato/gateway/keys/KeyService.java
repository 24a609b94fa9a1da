package dev.mercato.gateway.keys;

import dev.mercato.gateway.auth.Secrets;
import dev.mercato.gateway.error.ApiError;
import dev.mercato.gateway.error.ErrorCode;
import dev.mercato.ledger.Usdc;
import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Creates, changes and deletes API keys from a JSON object of settings, validating each with
 * a message that names the field and the bad value. Owners are held to the platform's
 * ceilings; the admin API is not.
 */
@Singleton
public class KeyService {

    private static final Logger LOG = LoggerFactory.getLogger(KeyService.class);

    static final int MAX_NAME_CHARS = 200;
    static final int MAX_MODELS = 100;
    private static final Set<String> FIELDS = Set.of("name", "disabled", "expiresAt", "requestsPerMinute",
        "concurrentRequests", "tokensPerMinute", "budget", "allowedModels", "allowedIps");

    private final KeyStore keys;
    private final KeyPolicyStore policies;
    private final KeyAuthenticator authenticator;
    private final Clock clock;

    public KeyService(KeyStore keys, KeyPolicyStore policies, KeyAuthenticator authenticator, Clock clock) {
        this.keys = keys;
        this.policies = policies;
        this.authenticator = authenticator;
        this.clock = clock;
    }

    /** Who is asking: an account's owner, held to the ceilings, or the platform's admin. */
    public enum Caller {
        OWNER,
        ADMIN
    }

    /** A new key and its secret, which is shown this once and never stored. */
    public record CreatedKey(ApiKey key, String secret) {
    }

    public CreatedKey create(long accountId, Map<String, Object> settings, Caller caller) {
        KeyPolicy policy = policies.current();
        if (caller == Caller.OWNER && keys.countByAccount(accountId) >= policy.maxKeysPerAccount()) {
            throw new ApiError.Exception(ApiError.of(ErrorCode.INVALID_REQUEST, "An account may have at most "
                + policy.maxKeysPerAccount() + " keys; delete one first."));
        }
        Draft draft = new Draft("default", false, null, new KeyLimits(policy.defaultRequestsPerMinute(),
            policy.defaultConcurrentRequests(), null, null, null, null));
        draft.apply(settings, clock.instant());
        draft.check(policy, caller);
        String secret = Secrets.newSecret(Secrets.API_KEY_PREFIX);
        ApiKey key = keys.insert(accountId, draft.name, Secrets.hash(secret), secret.substring(0, 8),
            secret.substring(secret.length() - 4), draft.disabled, draft.limits(), draft.expiresAt);
        LOG.info("account {} created key {} ({})", accountId, key.id(), key.redacted());
        return new CreatedKey(key, secret);
    }

    /** Changes the fields present in {@code settings}; a field set to null is cleared. */
    public ApiKey update(long accountId, long keyId, Map<String, Object> settings, Caller caller) {
        ApiKey current = keys.find(accountId, keyId).orElseThrow(() -> noSuchKey(keyId));
        Draft draft = new Draft(current.name(), current.disabled(), current.expiresAt(), current.limits());
        draft.apply(settings, clock.instant());
        draft.check(policies.current(), caller);
        ApiKey changed = keys.update(accountId, keyId, draft.name, draft.disabled, draft.limits(), draft.expiresAt)
            .orElseThrow(() -> noSuchKey(keyId));
        // This gateway sees the change at once; others within the key cache's time to live.
        authenticator.invalidateAll();
        return changed;
    }

    public void delete(long accountId, long keyId) {
        if (!keys.delete(accountId, keyId)) {
            throw noSuchKey(keyId);
        }
        authenticator.invalidateAll();
        LOG.info("account {} deleted key {}", accountId, keyId);
    }

    public List<KeyView> list(long accountId) {
        return keys.listByAccount(accountId).stream().map(key -> view(key, null)).toList();
    }

    public KeyView view(long accountId, long keyId) {
        return view(keys.find(accountId, keyId).orElseThrow(() -> noSuchKey(keyId)), null);
    }

    /** The key with what it spent in its budget period (this calendar month when it has no budget). */
    public KeyView view(ApiKey key, @Nullable String secret) {
        BudgetPeriod period = key.limits().budget() == null ? BudgetPeriod.MONTH : key.limits().budget().period();
        Instant start = period.start(clock.instant());
        return KeyView.of(key, keys.spend(key.id(), start), period, start, secret);
    }

    private static ApiError.Exception noSuchKey(long keyId) {
        return new ApiError.Exception(ApiError.of(ErrorCode.NOT_FOUND, "This account has no key with id " + keyId + "."));
    }

    /** A key's settings while they are being changed; {@link #check} validates them as a whole. */
    private static final class Draft {
        String name;
        boolean disabled;
        Instant expiresAt;
        int requestsPerMinute;
        int concurrentRequests;
        Long tokensPerMinute;
        KeyLimits.Budget budget;
        Set<String> allowedModels;
        IpAllowlist allowedIps;

        /** Starts from a key's current settings, or a new key's defaults. */
        Draft(String name, boolean disabled, @Nullable Instant expiresAt, KeyLimits limits) {
            this.name = name;
            this.disabled = disabled;
            this.expiresAt = expiresAt;
            this.requestsPerMinute = limits.requestsPerMinute();
            this.concurrentRequests = limits.concurrentRequests();
            this.tokensPerMinute = limits.tokensPerMinute();
            this.budget = limits.budget();
            this.allowedModels = limits.allowedModels();
            this.allowedIps = limits.allowedIps();
        }

        void apply(Map<String, Object> settings, Instant now) {
            for (String field : settings.keySet()) {
                if (!FIELDS.contains(field)) {
                    throw invalid(field, "Unknown key setting '" + field + "'; the settings are " + String.join(", ",
                        FIELDS.stream().sorted().toList()) + ".");
                }
            }
            if (settings.containsKey("name")) {
                Object value = settings.get("name");
                if (!(value instanceof String text) || text.isBlank() || text.length() > MAX_NAME_CHARS) {
                    throw invalid("name", "name must be 1 to " + MAX_NAME_CHARS + " characters.");
                }
                name = text.trim();
            }
            if (settings.containsKey("disabled")) {
                if (!(settings.get("disabled") instanceof Boolean flag)) {
                    throw invalid("disabled", "disabled must be true or false.");
                }
                disabled = flag;
            }
            if (settings.containsKey("expiresAt")) {
                expiresAt = expiry(settings.get("expiresAt"), now);
            }
            if (settings.containsKey("requestsPerMinute")) {
                requestsPerMinute = (int) positive("requestsPerMinute", settings.get("requestsPerMinute"), Integer.MAX_VALUE);
            }
            if (settings.containsKey("concurrentRequests")) {
                concurrentRequests = (int) positive("concurrentRequests", settings.get("concurrentRequests"), Integer.MAX_VALUE);
            }
            if (settings.containsKey("tokensPerMinute")) {
                Object value = settings.get("tokensPerMinute");
                tokensPerMinute = value == null ? null : positive("tokensPerMinute", value, Long.MAX_VALUE);
            }
            if (settings.containsKey("budget")) {
                budget = budget(settings.get("budget"));
            }
            if (settings.containsKey("allowedModels")) {
                allowedModels = models(settings.get("allowedModels"));
            }
            if (settings.containsKey("allowedIps")) {
                Object value = settings.get("allowedIps");
                try {
                    allowedIps = value == null ? null : IpAllowlist.parse(strings("allowedIps", value));
                } catch (IllegalArgumentException e) {
                    throw invalid("allowedIps", "allowedIps: " + e.getMessage() + ".");
                }
            }
        }

        void check(KeyPolicy policy, Caller caller) {
            if (caller == Caller.ADMIN) {
                return;
            }
            if (requestsPerMinute > policy.maxRequestsPerMinute()) {
                throw invalid("requestsPerMinute", "requestsPerMinute may be at most " + policy.maxRequestsPerMinute()
                    + ", was " + requestsPerMinute + ".");
            }
            if (concurrentRequests > policy.maxConcurrentRequests()) {
                throw invalid("concurrentRequests", "concurrentRequests may be at most " + policy.maxConcurrentRequests()
                    + ", was " + concurrentRequests + ".");
            }
            if (tokensPerMinute != null && tokensPerMinute > policy.maxTokensPerMinute()) {
                throw invalid("tokensPerMinute", "tokensPerMinute may be at most " + policy.maxTokensPerMinute()
                    + ", was " + tokensPerMinute + ".");
            }
        }

        KeyLimits limits() {
            return new KeyLimits(requestsPerMinute, concurrentRequests, tokensPerMinute, budget, allowedModels,
                allowedIps);
        }

        private static Instant expiry(Object value, Instant now) {
            if (value == null) {
                return null;
            }
            try {
                Instant at = Instant.parse((String) value);
                if (!at.isAfter(now)) {
                    throw invalid("expiresAt", "expiresAt must be in the future, was " + value + ".");
                }
                return at;
            } catch (ClassCastException | DateTimeParseException e) {
                throw invalid("expiresAt", "expiresAt must be an RFC 3339 time such as 2027-01-31T00:00:00Z, was "
                    + value + ".");
            }
        }

        private static long positive(String field, Object value, long max) {
            if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())
                || number.longValue() < 1 || number.longValue() > max) {
                throw invalid(field, field + " must be a whole number from 1 to " + max + ", was " + value + ".");
            }
            return number.longValue();
        }

        private static KeyLimits.Budget budget(Object value) {
            if (value == null) {
                return null;
            }
            if (!(value instanceof Map<?, ?> fields) || !(fields.get("amountUsdc") instanceof String amount)
                || !(fields.get("period") instanceof String period) || fields.size() != 2) {
                throw invalid("budget", "budget must be {\"amountUsdc\": \"10.00\", \"period\": \"month\"} "
                    + "(period: day, week, month or lifetime), or null for none.");
            }
            long amountNano;
            try {
                amountNano = Usdc.parse(amount);
            } catch (RuntimeException e) {
                throw invalid("budget", "budget.amountUsdc must be a decimal USDC amount with at most 9 decimals, was '"
                    + amount + "'.");
            }
            if (amountNano <= 0) {
                throw invalid("budget", "budget.amountUsdc must be positive, was '" + amount + "'.");
            }
            try {
                return new KeyLimits.Budget(amountNano, BudgetPeriod.fromWire(period));
            } catch (IllegalArgumentException e) {
                throw invalid("budget", "budget.period: " + e.getMessage() + ".");
            }
        }

        private static Set<String> models(Object value) {
            if (value == null) {
                return null;
            }
            List<String> models = strings("allowedModels", value);
            if (models.isEmpty() || models.size() > MAX_MODELS) {
                throw invalid("allowedModels", "allowedModels lists 1 to " + MAX_MODELS + " models, or is null for all.");
            }
            for (String model : models) {
                if (model.isBlank() || model.length() > MAX_NAME_CHARS) {
                    throw invalid("allowedModels", "allowedModels: '" + model + "' is not a model name.");
                }
            }
            return Set.copyOf(models);
        }

        private static List<String> strings(String field, Object value) {
            if (!(value instanceof List<?> list)) {
                throw invalid(field, field + " must be a list of strings, or null.");
            }
            List<String> strings = new ArrayList<>(list.size());
            for (Object item : list) {
                if (!(item instanceof String text)) {
                    throw invalid(field, field + " must be a list of strings; found " + item + ".");
                }
                strings.add(text);
            }
            return strings;
        }

        private static ApiError.Exception invalid(String field, String message) {
            return new ApiError.Exception(ApiError.invalidParam(field, message));
        }
    }
}
