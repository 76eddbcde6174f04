package dev.herald.dispatcher.api;

import dev.herald.suppression.InvalidPhoneNumberException;
import dev.herald.suppression.RecipientDirectory;

import java.util.OptionalInt;

/**
 * A {@code phone} field of a request body (an event's, a conversion's): the directory id of a number
 * it knows, or a 400 naming the field — {@code missing_field}, {@code invalid_phone} (too long, or not
 * a number: the reason said) or {@code unknown_phone} (a valid number the directory does not hold).
 *
 * <pre>{@code
 * int recipient = PhoneField.recipient(directory, body.phone(), "whose event it is");
 * }</pre>
 */
final class PhoneField {

    /** The longest {@code phone} value taken. */
    static final int MAX_PHONE = 64;

    private PhoneField() {
    }

    /**
     * @param phone   the field's value (null if absent)
     * @param missing what the phone is for, said when it is missing ({@code "whose event it is"})
     * @return its recipient id
     * @throws ApiError 400 as the class says
     */
    static int recipient(RecipientDirectory directory, String phone, String missing) {
        if (phone == null) {
            throw ApiError.badRequest("missing_field", "'phone' is required: " + missing, "phone");
        }
        String p = phone.strip();
        if (p.isEmpty() || p.length() > MAX_PHONE) {
            throw ApiError.badRequest("invalid_phone", "'phone' must be a phone number of at most " + MAX_PHONE + " characters",
                    "phone");
        }
        OptionalInt id;
        try {
            id = directory.idOf(p);
        } catch (InvalidPhoneNumberException e) {
            throw ApiError.badRequest("invalid_phone", "'phone' is not a valid phone number: " + e.reason().text(), "phone");
        }
        if (id.isPresent()) {
            return id.getAsInt();
        }
        try {
            directory.phoneNumbers().normalize(p); // a registered number is valid: tell an invalid one from an unknown one
        } catch (InvalidPhoneNumberException e) {
            throw ApiError.badRequest("invalid_phone", "'phone' is not a valid phone number: " + e.reason().text(), "phone");
        }
        throw ApiError.badRequest("unknown_phone", "'phone' is not a recipient in the directory", "phone");
    }
}
