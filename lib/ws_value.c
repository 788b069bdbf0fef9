//  ws_value - number parsing and value conversions (ws_value.h).
#include "ws_value.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_time.h"

//  UTF-8 spellings of the characters read around and inside numbers.
#define S_NBSP "\xc2\xa0"       //  U+00A0 no-break space
#define S_THIN "\xe2\x80\x89"   //  U+2009 thin space
#define S_NNBSP "\xe2\x80\xaf"  //  U+202F narrow no-break space
#define S_RSQUO "\xe2\x80\x99"  //  U+2019 right single quotation mark
#define S_MINUS "\xe2\x88\x92"  //  U+2212 minus sign

//  The cleaned number handed to strtod: a double has 17 significant
//  digits and no finite value needs 300 integer digits, so a longer text
//  is no number a page meant.
#define S_CLEAN_MAX 320

//  A quoted text in an error is cut past this many bytes, so that the
//  subject the caller puts in front (source, rule) still fits.
#define S_QUOTE_MAX 80

//  0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z in seconds since the
//  epoch (as in ws_time.c).
#define S_YEAR_0 (-62167219200LL)
#define S_YEAR_10000 253402300800LL

//  Dates are short; a longer text is no date.
#define S_DATE_MAX 64

typedef enum {
    S_NUMBER,
    S_PERCENT,
    S_BOOL,
    S_EPOCH,
    S_AGE_DAYS,
    S_MAP
} s_kind_t;

typedef struct {
    char *text;  //  owns
    size_t len;
    double value;
} s_entry_t;

struct _ws_value_conv_t {
    s_kind_t kind;
    char decimal;    //  '.' or ','
    s_entry_t *map;  //  owns the array and each text; S_MAP only
    size_t map_size;
    bool has_default;  //  "default" given: other texts map to it
    double default_value;
};

//  Whitespace trimmed around texts: ASCII and the spaces pages put
//  in numbers.
static const char *s_spaces[] = {" ",  "\t",   "\n",    "\r",  "\v",
                                 "\f", S_NBSP, S_NNBSP, S_THIN};

//  Length of word if the text [p, end) starts with it, else 0.
static size_t
s_starts (const char *p, const char *end, const char *word)
{
    size_t len = strlen (word);
    return (size_t) (end - p) >= len && memcmp (p, word, len) == 0 ? len : 0;
}

//  Length of word if the text [start, end) ends with it, else 0.
static size_t
s_ends (const char *start, const char *end, const char *word)
{
    size_t len = strlen (word);
    return (size_t) (end - start) >= len && memcmp (end - len, word, len) == 0
               ? len
               : 0;
}

//  Length of a whitespace character at p, or 0.
static size_t
s_space_at (const char *p, const char *end)
{
    for (size_t i = 0; i < sizeof s_spaces / sizeof s_spaces[0]; i++) {
        size_t len = s_starts (p, end, s_spaces[i]);
        if (len)
            return len;
    }
    return 0;
}

//  Length of a whitespace character ending at end, or 0.
static size_t
s_space_before (const char *start, const char *end)
{
    for (size_t i = 0; i < sizeof s_spaces / sizeof s_spaces[0]; i++) {
        size_t len = s_ends (start, end, s_spaces[i]);
        if (len)
            return len;
    }
    return 0;
}

//  Move *start and *end past whitespace, Unicode spaces included (a
//  page pads "1 234 €" with U+00A0 as often as with ASCII spaces).
static void
s_trim (const char **start, const char **end)
{
    size_t len;
    while ((len = s_space_at (*start, *end)))
        *start += len;
    while ((len = s_space_before (*start, *end)))
        *end -= len;
}

//  Length of the valid UTF-8 sequence at p (NUL-terminated), or 0 if
//  the bytes there are not one: overlong forms, surrogates and code
//  points past U+10FFFF included.
static size_t
s_utf8_len (const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t len;
    unsigned int code;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2;
        code = p[0] & 0x1f;
    }
    else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        code = p[0] & 0x0f;
    }
    else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        code = p[0] & 0x07;
    }
    else
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        code = (code << 6) | (p[i] & 0x3f);
    }
    if ((len == 3 && code < 0x800) || (len == 4 && code < 0x10000)
        || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff)
        return 0;
    return len;
}

//  Write text for an error between two delimiters (none if delimiter
//  is '\0'): valid UTF-8 is kept so "€" reads as such, other bytes and
//  controls are written \xNN, the delimiter and '\' get a '\'. Cut with
//  "..." past S_QUOTE_MAX bytes. out needs S_QUOTE_MAX + 16 bytes.
static void
s_quote (const char *text, char delimiter, char *out, size_t size)
{
    assert (size >= S_QUOTE_MAX + 16);
    size_t n = 0;
    if (delimiter)
        out[n++] = delimiter;
    const unsigned char *p = (const unsigned char *) text;
    while (*p) {
        if (n >= S_QUOTE_MAX) {
            memcpy (out + n, "...", 3);
            n += 3;
            break;
        }
        size_t len = s_utf8_len (p);
        if (len == 1 && (*p < 0x20 || *p == 0x7f))
            len = 0;
        if (len == 0) {
            n += (size_t) snprintf (out + n, size - n, "\\x%02x", *p);
            p++;
        }
        else {
            if (len == 1 && (*p == '\\' || (delimiter && *p == delimiter)))
                out[n++] = '\\';
            memcpy (out + n, p, len);
            n += len;
            p += len;
        }
    }
    if (delimiter)
        out[n++] = delimiter;
    out[n] = '\0';
}

//  Refuse text: "found \"text\", expected ...".
static int
s_refuse (ws_err_t *err, const char *text, const char *expected)
{
    char quoted[S_QUOTE_MAX + 16];
    s_quote (text, '"', quoted, sizeof quoted);
    return ws_err_set (err, WS_ERR_EXTRACT, "found %s, %s", quoted, expected);
}

//  Length of a sign at p ("+", "-", U+2212), setting *negative.
static size_t
s_sign_at (const char *p, const char *end, bool *negative)
{
    size_t len;
    if ((len = s_starts (p, end, "+")))
        *negative = false;
    else if ((len = s_starts (p, end, "-"))
             || (len = s_starts (p, end, S_MINUS)))
        *negative = true;
    return len;
}

//  € $ £ ¥ ₹, and the ISO codes read only apart from the number.
static const char *s_currency_signs[] = {"\xe2\x82\xac", "$", "\xc2\xa3",
                                         "\xc2\xa5", "\xe2\x82\xb9"};
static const char *s_currency_codes[] = {"EUR", "USD", "GBP",
                                         "JPY", "CHF", "INR"};

//  Length of a currency before the number, with the spaces after it:
//  a sign may touch the digits ("$5"), a code must not ("EUR 5"; "EUR5"
//  is more likely a product name than a price).
static size_t
s_currency_prefix (const char *p, const char *end)
{
    size_t len = 0;
    bool need_space = false;
    for (size_t i = 0; !len && i < 5; i++)
        len = s_starts (p, end, s_currency_signs[i]);
    for (size_t i = 0; !len && i < 6; i++)
        need_space = (len = s_starts (p, end, s_currency_codes[i])) > 0;
    if (!len)
        return 0;
    size_t spaces = 0, space;
    while ((space = s_space_at (p + len + spaces, end)))
        spaces += space;
    return need_space && !spaces ? 0 : len + spaces;
}

//  Length of a currency after the number, with the spaces before it.
static size_t
s_currency_suffix (const char *start, const char *end)
{
    size_t len = 0;
    bool need_space = false;
    for (size_t i = 0; !len && i < 5; i++)
        len = s_ends (start, end, s_currency_signs[i]);
    for (size_t i = 0; !len && i < 6; i++)
        need_space = (len = s_ends (start, end, s_currency_codes[i])) > 0;
    if (!len)
        return 0;
    size_t spaces = 0, space;
    while ((space = s_space_before (start, end - len - spaces)))
        spaces += space;
    return need_space && !spaces ? 0 : len + spaces;
}

//  Length of a '%' after the number, with the spaces before it ("12,5 %"
//  as French typography writes it).
static size_t
s_percent_suffix (const char *start, const char *end)
{
    size_t len = s_ends (start, end, "%");
    if (!len)
        return 0;
    size_t space;
    while ((space = s_space_before (start, end - len)))
        len += space;
    return len;
}

//  Strip "(" and ")" around [*start, *end) and the spaces inside.
static bool
s_parens (const char **start, const char **end)
{
    if (*end - *start < 2 || **start != '(' || (*end)[-1] != ')')
        return false;
    (*start)++;
    (*end)--;
    s_trim (start, end);
    return true;
}

//  Length of a thousands separator at p: the decimal mark not chosen,
//  spaces and apostrophes.
static size_t
s_separator_at (const char *p, const char *end, char decimal)
{
    static const char *separators[] = {" ",    S_NBSP, S_NNBSP,
                                       S_THIN, "'",    S_RSQUO};
    if (p < end && *p == (decimal == '.' ? ',' : '.'))
        return 1;
    for (size_t i = 0; i < sizeof separators / sizeof separators[0]; i++) {
        size_t len = s_starts (p, end, separators[i]);
        if (len)
            return len;
    }
    return 0;
}

//  Append c to the clean number; -1 when it is full.
static int
s_put (char *clean, size_t *n, char c)
{
    if (*n + 1 >= S_CLEAN_MAX)
        return -1;
    clean[(*n)++] = c;
    return 0;
}

//  Read the digits of [p, end), its affixes gone: digit groups, a
//  fraction, an exponent, into a clean ASCII number for strtod.
static int
s_digits (const char *p, const char *end, char decimal, bool negative,
          double *value)
{
    char clean[S_CLEAN_MAX];
    size_t n = 0;
    if (negative)
        clean[n++] = '-';
    const char *first_digit = p;
    size_t first_group = 0;
    while (p < end && isdigit ((unsigned char) *p)) {
        if (s_put (clean, &n, *p++))
            return -1;
        first_group++;
    }
    //  Groups of three after a first group of one to three digits, all
    //  with the separator the first one used: "1,234,567", "1 234 567".
    //  A first group "0" or "012" is refused, since "0,123" with a
    //  decimal point most likely was a European 0.123.
    const char *separator = NULL;
    size_t separator_len = 0, len;
    while (first_group > 0 && (len = s_separator_at (p, end, decimal))) {
        if (!separator && (first_group > 3 || *first_digit == '0'))
            return -1;
        if (separator
            && (len != separator_len || memcmp (p, separator, len) != 0))
            return -1;
        separator = p;
        separator_len = len;
        p += len;
        for (int i = 0; i < 3; i++) {
            if (p >= end || !isdigit ((unsigned char) *p)
                || s_put (clean, &n, *p++))
                return -1;
        }
    }
    size_t fraction = 0;
    if (p < end && *p == decimal) {
        p++;
        if (s_put (clean, &n, '.'))
            return -1;
        while (p < end && isdigit ((unsigned char) *p)) {
            if (s_put (clean, &n, *p++))
                return -1;
            fraction++;
        }
        if (fraction == 0)
            return -1;
    }
    if (first_group == 0 && fraction == 0)
        return -1;
    //  "1,2e3" with a decimal comma is no notation anyone writes.
    if (decimal == '.' && p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (s_put (clean, &n, 'e'))
            return -1;
        if (p < end && (*p == '+' || *p == '-') && s_put (clean, &n, *p++))
            return -1;
        size_t exponent = 0;
        while (p < end && isdigit ((unsigned char) *p)) {
            if (s_put (clean, &n, *p++))
                return -1;
            exponent++;
        }
        if (exponent == 0)
            return -1;
    }
    if (p != end)
        return -1;
    clean[n] = '\0';
    //  strtod reads the decimal point of the current locale. watershed
    //  never calls setlocale, so the process stays in the "C" locale and
    //  that point is '.', the one written into clean. clean holds only
    //  ASCII digits, '-', '.', 'e' and '+': no "inf", "nan" or hex form
    //  can reach strtod.
    char *stop;
    double result = strtod (clean, &stop);
    if (*stop != '\0' || !isfinite (result))
        return -1;  //  "1e999": overflow; an underflow to 0 is a number
    *value = result == 0 ? 0.0 : result;  //  no -0
    return 0;
}

//  Read the number in [p, end) with its sign, currency, percent and
//  accounting parentheses.
static int
s_number (const char *p, const char *end, char decimal, double *value)
{
    bool negative = false, sign = false, affix = false;
    s_trim (&p, &end);
    bool parens = s_parens (&p, &end);
    //  A sign and a currency before the digits, in either order: "-$5",
    //  "$-5", "€ -5".
    for (int i = 0; i < 2; i++) {
        size_t len;
        if (!sign && (len = s_sign_at (p, end, &negative))) {
            sign = true;
            p += len;
        }
        else if (!affix && (len = s_currency_prefix (p, end))) {
            affix = true;
            p += len;
        }
    }
    //  A currency or a percent sign after them, not both, and not a
    //  second currency.
    if (!affix) {
        size_t len = s_currency_suffix (p, end);
        if (!len)
            len = s_percent_suffix (p, end);
        end -= len;
    }
    //  "$(1,234)" and "(1,234) €": the parentheses inside the currency.
    if (!parens && !sign)
        parens = s_parens (&p, &end);
    if (parens && sign)
        return -1;  //  "(-5)": negative twice, or a typo
    return s_digits (p, end, decimal, negative || parens, value);
}

int
ws_number_parse (const char *text, char decimal, double *value, ws_err_t *err)
{
    if (decimal != '.' && decimal != ',')
        return ws_err_set (err, WS_ERR_INPUT,
                           "number: decimal mark byte %d, expected '.' or ','",
                           decimal);
    if (!text)
        text = "";
    if (s_number (text, text + strlen (text), decimal, value) == 0)
        return 0;
    return s_refuse (err, text,
                     decimal == ',' ? "expected a number (decimal ',')"
                                    : "expected a number");
}

//  Dates: ISO 8601 through ws_time, RFC 1123 and RFC 822 here.

static const char *s_day_names[] = {"sunday",    "monday",   "tuesday",
                                    "wednesday", "thursday", "friday",
                                    "saturday"};
static const char *s_month_names[] = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};

//  Index of word (lower case) in names, as the full name or its first
//  three letters ("Nov", "November"), or -1.
static int
s_name_index (const char *word, const char **names, int count)
{
    size_t len = strlen (word);
    for (int i = 0; i < count; i++)
        if ((len == 3 && strncmp (word, names[i], 3) == 0)
            || strcmp (word, names[i]) == 0)
            return i;
    return -1;
}

//  Read a word of ASCII letters, lower-cased, into word (isalpha and
//  tolower of the "C" locale, which the program never leaves).
static int
s_word (const char **p, char *word, size_t size)
{
    size_t n = 0;
    while (isalpha ((unsigned char) **p)) {
        if (n + 1 >= size)
            return -1;
        word[n++] = (char) tolower ((unsigned char) **p);
        (*p)++;
    }
    word[n] = '\0';
    return n ? 0 : -1;
}

//  Read min..max ASCII digits (what follows is the caller's to check).
static int
s_number_digits (const char **p, int min, int max, int *value)
{
    int count = 0;
    *value = 0;
    while (count < max && isdigit ((unsigned char) **p)) {
        *value = *value * 10 + (**p - '0');
        (*p)++;
        count++;
    }
    return count >= min ? 0 : -1;
}

//  Skip spaces and tabs; true if there was at least one.
static bool
s_blanks (const char **p)
{
    const char *start = *p;
    while (**p == ' ' || **p == '\t')
        (*p)++;
    return *p > start;
}

//  Days from 1970-01-01 to a date of the proleptic Gregorian calendar
//  (H. Hinnant's days_from_civil), with no time_t in the way.
static int64_t
s_days_from_civil (int64_t year, int month, int day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year =
        (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

//  RFC 822 / 1123 / 2822 date as HTTP and RSS pubDate write it:
//  "Sun, 06 Nov 1994 08:49:37 GMT", "Tue, 31 Mar 2026 09:15 +0200". The
//  day name is optional and not checked against the date (feeds get it
//  wrong); two-digit years are 19xx from 50, 20xx below (RFC 2822 4.3);
//  no zone means UTC, as in ws_iso8601_parse.
static int
s_rfc822_parse (const char *p, int64_t *ms)
{
    static const struct {
        const char *name;
        int minutes;
    } zones[] = {{"gmt", 0},    {"ut", 0},     {"utc", 0},    {"z", 0},
                 {"est", -300}, {"edt", -240}, {"cst", -360}, {"cdt", -300},
                 {"mst", -420}, {"mdt", -360}, {"pst", -480}, {"pdt", -420}};
    char word[16];
    if (isalpha ((unsigned char) *p)) {
        if (s_word (&p, word, sizeof word)
            || s_name_index (word, s_day_names, 7) < 0 || *p++ != ',')
            return -1;
        s_blanks (&p);
    }
    int day, month, year, hour, minute, second = 0;
    if (s_number_digits (&p, 1, 2, &day) || !s_blanks (&p)
        || s_word (&p, word, sizeof word))
        return -1;
    month = s_name_index (word, s_month_names, 12) + 1;
    if (month == 0 || !s_blanks (&p))
        return -1;
    const char *year_start = p;
    if (s_number_digits (&p, 2, 4, &year) || p - year_start == 3)
        return -1;
    if (p - year_start == 2)
        year += year < 50 ? 2000 : 1900;
    if (!s_blanks (&p) || s_number_digits (&p, 2, 2, &hour) || *p++ != ':'
        || s_number_digits (&p, 2, 2, &minute))
        return -1;
    if (*p == ':') {
        p++;
        if (s_number_digits (&p, 2, 2, &second))
            return -1;
    }
    int offset = 0;  //  minutes east of UTC
    if (s_blanks (&p) && *p) {
        if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1;
            int zone_hours, zone_minutes;
            if (s_number_digits (&p, 2, 2, &zone_hours))
                return -1;
            if (*p == ':')
                p++;
            if (s_number_digits (&p, 2, 2, &zone_minutes) || zone_hours > 23
                || zone_minutes > 59)
                return -1;
            offset = sign * (zone_hours * 60 + zone_minutes);
        }
        else {
            size_t i, count = sizeof zones / sizeof zones[0];
            if (s_word (&p, word, sizeof word))
                return -1;
            for (i = 0; i < count && strcmp (word, zones[i].name) != 0; i++)
                ;
            if (i == count)
                return -1;
            offset = zones[i].minutes;
        }
        s_blanks (&p);
    }
    if (*p != '\0')
        return -1;
    static const int month_days[] = {31, 28, 31, 30, 31, 30,
                                     31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int days_in_month = month_days[month - 1] + (month == 2 && leap);
    if (day < 1 || day > days_in_month || hour > 23 || minute > 59
        || second > 60)
        return -1;
    int64_t seconds = s_days_from_civil (year, month, day) * 86400 + hour * 3600
                      + minute * 60 + second - offset * 60;
    //  The years ws_iso8601_parse accepts, an offset included.
    if (seconds < S_YEAR_0 || seconds >= S_YEAR_10000)
        return -1;
    *ms = seconds * 1000;
    return 0;
}

//  A date or time in [start, end), ISO 8601 or RFC 822, to ms.
static int
s_time_parse (const char *start, const char *end, int64_t *ms)
{
    s_trim (&start, &end);
    size_t len = (size_t) (end - start);
    if (len == 0 || len >= S_DATE_MAX)
        return -1;
    char date[S_DATE_MAX];
    memcpy (date, start, len);
    date[len] = '\0';
    if (ws_iso8601_parse (date, ms, NULL) == 0)
        return 0;
    return s_rfc822_parse (date, ms);
}

//  Conversion spec.

//  A JSON value for an error, compact and cut.
static void
s_json_text (const json_t *json, char *out, size_t size)
{
    char *text =
        json_dumps (json, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!text) {
        snprintf (out, size, "(a JSON value)");
        return;
    }
    if (strlen (text) > 40)
        snprintf (out, size, "%.37s...", text);
    else
        snprintf (out, size, "%s", text);
    free (text);
}

//  Write key into a JSON pointer token (RFC 6901: '~' -> "~0",
//  '/' -> "~1"), cut to fit.
static void
s_pointer_token (const char *key, char *out, size_t size)
{
    size_t n = 0;
    for (; *key && n + 3 < size; key++) {
        if (*key == '~' || *key == '/') {
            out[n++] = '~';
            out[n++] = *key == '~' ? '0' : '1';
        }
        else
            out[n++] = *key;
    }
    out[n] = '\0';
}

#define S_CONVERSIONS                                                          \
    "expected number, percent, bool, epoch, age_days or {\"map\": ...}"

//  Read {"map": {...}, "default": n} into self; -1 with err naming
//  the key at fault.
static int
s_read_map (ws_value_conv_t *self, json_t *convert, ws_err_t *err)
{
    char found[64], token[96], quoted[S_QUOTE_MAX + 16];
    const char *key;
    json_t *item;
    json_object_foreach (convert, key, item) {
        if (strcmp (key, "map") != 0 && strcmp (key, "default") != 0) {
            s_quote (key, '\'', quoted, sizeof quoted);
            s_pointer_token (key, token, sizeof token);
            ws_err_set (err, WS_ERR_INPUT,
                        "convert: unknown key %s; expected map or default",
                        quoted);
            ws_err_where (err, "/convert/%s", token);
            return -1;
        }
    }
    json_t *map = json_object_get (convert, "map");
    if (!map) {
        s_json_text (convert, found, sizeof found);
        ws_err_set (err, WS_ERR_INPUT,
                    "convert: found %s, expected {\"map\": {\"text\": "
                    "number, ...}}",
                    found);
        ws_err_where (err, "/convert");
        return -1;
    }
    if (!json_is_object (map) || json_object_size (map) == 0) {
        s_json_text (map, found, sizeof found);
        ws_err_set (err, WS_ERR_INPUT,
                    "convert map: found %s, expected an object of "
                    "\"text\": number, at least one",
                    found);
        ws_err_where (err, "/convert/map");
        return -1;
    }
    self->map = calloc (json_object_size (map), sizeof *self->map);
    if (!self->map)
        return ws_err_set (err, WS_ERR_SYSTEM, "convert map: out of memory");
    size_t key_len;
    json_object_keylen_foreach (map, key, key_len, item)
    {
        s_quote (key, '"', quoted, sizeof quoted);
        s_pointer_token (key, token, sizeof token);
        //  The text is trimmed before the lookup and a text holds no
        //  NUL: such a key would never match, which is a typo to report.
        const char *start = key, *end = key + key_len;
        s_trim (&start, &end);
        if (strlen (key) != key_len || start != key || end != key + key_len) {
            ws_err_set (err, WS_ERR_INPUT,
                        "convert map %s: a key with surrounding spaces or "
                        "a NUL never matches (texts are trimmed)",
                        quoted);
            ws_err_where (err, "/convert/map/%s", token);
            return -1;
        }
        if (!json_is_number (item) || !isfinite (json_number_value (item))) {
            s_json_text (item, found, sizeof found);
            ws_err_set (err, WS_ERR_INPUT,
                        "convert map %s: found %s, expected a number", quoted,
                        found);
            ws_err_where (err, "/convert/map/%s", token);
            return -1;
        }
        s_entry_t *entry = &self->map[self->map_size];
        entry->text = strdup (key);
        if (!entry->text)
            return ws_err_set (err, WS_ERR_SYSTEM,
                               "convert map: out of memory");
        entry->len = key_len;
        entry->value = json_number_value (item);
        self->map_size++;
    }
    json_t *fallback = json_object_get (convert, "default");
    if (fallback) {
        if (!json_is_number (fallback)
            || !isfinite (json_number_value (fallback))) {
            s_json_text (fallback, found, sizeof found);
            ws_err_set (err, WS_ERR_INPUT,
                        "convert default: found %s, expected a number", found);
            ws_err_where (err, "/convert/default");
            return -1;
        }
        self->has_default = true;
        self->default_value = json_number_value (fallback);
    }
    return 0;
}

//  Read the rule's "decimal" and "convert" into self; -1 with err
//  naming the key at fault.
static int
s_read_rule (ws_value_conv_t *self, json_t *rule, ws_err_t *err)
{
    char found[64];
    if (!rule)
        return 0;
    if (!json_is_object (rule)) {
        s_json_text (rule, found, sizeof found);
        return ws_err_set (err, WS_ERR_INPUT,
                           "rule: found %s, expected an object", found);
    }
    json_t *decimal = json_object_get (rule, "decimal");
    if (decimal) {
        const char *mark = json_string_value (decimal);
        if (!mark || json_string_length (decimal) != 1
            || (*mark != '.' && *mark != ',')) {
            s_json_text (decimal, found, sizeof found);
            ws_err_set (err, WS_ERR_INPUT,
                        "decimal: found %s, expected \".\" or \",\"", found);
            ws_err_where (err, "/decimal");
            return -1;
        }
        self->decimal = *mark;
    }
    json_t *convert = json_object_get (rule, "convert");
    if (!convert)
        return 0;
    if (json_is_object (convert)) {
        self->kind = S_MAP;
        return s_read_map (self, convert, err);
    }
    static const struct {
        const char *name;
        s_kind_t kind;
    } kinds[] = {{"number", S_NUMBER},
                 {"percent", S_PERCENT},
                 {"bool", S_BOOL},
                 {"epoch", S_EPOCH},
                 {"age_days", S_AGE_DAYS}};
    const char *name = json_string_value (convert);
    if (name && strlen (name) == json_string_length (convert))
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            if (strcmp (name, kinds[i].name) == 0) {
                self->kind = kinds[i].kind;
                return 0;
            }
    if (name) {
        char quoted[S_QUOTE_MAX + 16];
        s_quote (name, '\'', quoted, sizeof quoted);
        ws_err_set (err, WS_ERR_INPUT,
                    "convert: unknown conversion %s; " S_CONVERSIONS, quoted);
    }
    else {
        s_json_text (convert, found, sizeof found);
        ws_err_set (err, WS_ERR_INPUT, "convert: found %s, " S_CONVERSIONS,
                    found);
    }
    ws_err_where (err, "/convert");
    return -1;
}

ws_value_conv_t *
ws_value_conv_new (json_t *rule, ws_err_t *err)
{
    ws_value_conv_t *self = calloc (1, sizeof *self);
    if (!self) {
        ws_err_set (err, WS_ERR_SYSTEM, "conversion: out of memory");
        return NULL;
    }
    self->kind = S_NUMBER;
    self->decimal = '.';
    if (s_read_rule (self, rule, err))
        ws_value_conv_destroy (&self);
    return self;
}

void
ws_value_conv_destroy (ws_value_conv_t **self_p)
{
    assert (self_p);
    ws_value_conv_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->map_size; i++)
        free (self->map[i].text);
    free (self->map);
    free (self);
    *self_p = NULL;
}

//  Refuse a text not in the map, listing its keys as far as they fit.
static int
s_refuse_map (const ws_value_conv_t *self, const char *text, ws_err_t *err)
{
    char expected[S_QUOTE_MAX + 64] = "not in the map (";
    size_t n = strlen (expected);
    for (size_t i = 0; i < self->map_size; i++) {
        char key[S_QUOTE_MAX + 16];
        s_quote (self->map[i].text, '\0', key, sizeof key);
        if (n + strlen (key) + 8 > S_QUOTE_MAX + 16) {
            n += (size_t) snprintf (expected + n, sizeof expected - n, "%s...",
                                    i ? ", " : "");
            break;
        }
        n += (size_t) snprintf (expected + n, sizeof expected - n, "%s%s",
                                i ? ", " : "", key);
    }
    snprintf (expected + n, sizeof expected - n, ")");
    return s_refuse (err, text, expected);
}

//  ws_value_convert on a text that is not NULL.
static int
s_convert (const ws_value_conv_t *self, const char *text, int64_t now_ms,
           double *value, ws_err_t *err)
{
    const char *start = text, *end = text + strlen (text);
    int64_t ms;
    switch (self->kind) {
    case S_NUMBER:
    case S_PERCENT:
        if (s_number (start, end, self->decimal, value))
            return s_refuse (err, text,
                             self->decimal == ','
                                 ? "expected a number (decimal ',')"
                                 : "expected a number");
        if (self->kind == S_PERCENT)
            *value /= 100;
        return 0;
    case S_BOOL: {
        static const char *words[] = {"false", "true", "no", "yes",
                                      "off",   "on",   "0",  "1"};
        s_trim (&start, &end);
        size_t len = (size_t) (end - start);
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
            if (strlen (words[i]) != len)
                continue;
            size_t j = 0;
            //  ASCII case folding by hand: tolower depends on the locale.
            while (j < len) {
                char c = start[j];
                if (c >= 'A' && c <= 'Z')
                    c = (char) (c - 'A' + 'a');
                if (c != words[i][j])
                    break;
                j++;
            }
            if (j == len) {
                *value = (double) (i % 2);
                return 0;
            }
        }
        return s_refuse (err, text,
                         "expected one of true/false/yes/no/on/off/1/0");
    }
    case S_EPOCH:
    case S_AGE_DAYS:
        if (s_time_parse (start, end, &ms))
            return s_refuse (err, text,
                             "expected an ISO 8601 or RFC 1123 date, e.g. "
                             "\"2026-03-31\" or \"Tue, 31 Mar 2026 "
                             "09:15:00 GMT\"");
        if (self->kind == S_EPOCH)
            *value = (double) ms / 1000;
        else
            *value = ((double) now_ms - (double) ms) / 86400000;
        return 0;
    case S_MAP:
        s_trim (&start, &end);
        for (size_t i = 0; i < self->map_size; i++)
            if (self->map[i].len == (size_t) (end - start)
                && memcmp (self->map[i].text, start, self->map[i].len) == 0) {
                *value = self->map[i].value;
                return 0;
            }
        if (self->has_default) {
            *value = self->default_value;
            return 0;
        }
        return s_refuse_map (self, text, err);
    }
    return s_refuse (err, text, "expected a known conversion");
}

int
ws_value_convert (const ws_value_conv_t *self, const char *text, int64_t now_ms,
                  double *value, ws_err_t *err)
{
    assert (self);
    assert (value);
    double result;
    if (s_convert (self, text ? text : "", now_ms, &result, err))
        return -1;
    //  No -0 from any kind: "-1e-323" as a percent, -0.0 in a map.
    *value = result == 0 ? 0.0 : result;
    return 0;
}
