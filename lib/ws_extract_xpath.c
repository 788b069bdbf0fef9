//  ws_extract_xpath - XPath 1.0 over HTML and XML documents (libxml2).
#include "ws_extract_xpath.h"

#include <assert.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "ws_json.h"

//  An expression is quoted in error texts up to this many bytes.
#define S_QUOTE_MAX 80

typedef struct {
    char *prefix;  //  owns
    char *uri;     //  owns
} s_namespace_t;

typedef struct {
    char *name;                //  owns; the label's name
    char *expr;                //  owns; as configured
    xmlXPathCompExprPtr comp;  //  owns
} s_label_t;

struct _ws_extract_xpath_t {
    char *expr;                 //  owns; as configured
    xmlXPathCompExprPtr comp;   //  owns
    bool xml;                   //  document "xml", else "html"
    s_namespace_t *namespaces;  //  owns the array and its strings
    size_t namespace_count;
    s_label_t *labels;  //  owns the array and each label
    size_t label_count;
};

//  libxml2's messages while one call of ours runs: the first of the
//  highest level, which for a parse is the error that stopped it.
typedef struct {
    int count;
    int level;  //  xmlErrorLevel
    int code;   //  xmlParserErrors
    int line;
    int offset;  //  XPath: where in the expression (int1)
    char message[160];
} s_capture_t;

//  The process's handlers, put back when our call ends.
typedef struct {
    xmlStructuredErrorFunc structured;
    void *structured_context;
    xmlGenericErrorFunc generic;
    void *generic_context;
} s_handlers_t;

static void
s_on_error (void *context, xmlErrorPtr error)
{
    s_capture_t *capture = context;
    capture->count++;
    if (capture->count > 1 && (int) error->level <= capture->level)
        return;
    capture->level = (int) error->level;
    capture->code = error->code;
    capture->line = error->line;
    capture->offset = error->int1;
    snprintf (capture->message, sizeof capture->message, "%s",
              error->message ? error->message : "unknown error");
    //  libxml2's messages end in a newline.
    size_t len = strlen (capture->message);
    while (len > 0 && isspace ((unsigned char) capture->message[len - 1]))
        capture->message[--len] = '\0';
}

//  The few messages that libxml2 sends to the generic handler only
//  (internal XPath states): counted, never printed.
static void
s_on_generic (void *context, const char *fmt, ...)
{
    s_capture_t *capture = context;
    (void) fmt;
    capture->count++;
}

//  Collect libxml2's messages into capture until s_capture_stop.
static void
s_capture_start (s_capture_t *capture, s_handlers_t *saved)
{
    static bool initialised = false;
    if (!initialised) {
        //  Once per process; workers are single-threaded.
        xmlInitParser ();
        initialised = true;
    }
    memset (capture, 0, sizeof *capture);
    saved->structured = xmlStructuredError;
    saved->structured_context = xmlStructuredErrorContext;
    saved->generic = xmlGenericError;
    saved->generic_context = xmlGenericErrorContext;
    xmlSetStructuredErrorFunc (capture, s_on_error);
    xmlSetGenericErrorFunc (capture, s_on_generic);
}

static void
s_capture_reset (s_capture_t *capture)
{
    memset (capture, 0, sizeof *capture);
}

static void
s_capture_stop (const s_handlers_t *saved)
{
    xmlSetStructuredErrorFunc (saved->structured_context, saved->structured);
    xmlSetGenericErrorFunc (saved->generic_context, saved->generic);
}

//  expr quoted for an error text: cut at S_QUOTE_MAX bytes on a UTF-8
//  boundary, "..." when cut.
static void
s_quote (const char *expr, char *out, size_t size)
{
    size_t len = strlen (expr), cut = len;
    if (cut > S_QUOTE_MAX)
        for (cut = S_QUOTE_MAX; cut && (expr[cut] & 0xC0) == 0x80; cut--)
            ;
    snprintf (out, size, "'%.*s%s'", (int) cut, expr, cut < len ? "..." : "");
}

//  libxml2's message with a lower-case first letter, to follow a colon.
static const char *
s_lower (char *message)
{
    if (message[0] && isupper ((unsigned char) message[0])
        && !isupper ((unsigned char) message[1]))
        message[0] = (char) tolower ((unsigned char) message[0]);
    return message;
}

//  Refuse at new(): code WS_ERR_INPUT, where = pointer. Returns -1.
static int s_refuse (ws_err_t *err, const char *where, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_refuse (ws_err_t *err, const char *where, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    ws_err_vset (err, WS_ERR_INPUT, fmt, args);
    va_end (args);
    ws_err_where (err, "%s", where);
    return -1;
}

//  "KEY: found <value>, expected <expected>" at where. Returns -1.
static int
s_refuse_found (ws_err_t *err, const char *key, const char *where,
                json_t *found, const char *expected)
{
    char what[64] = "nothing";
    if (found)
        ws_json_describe (found, false, what, sizeof what);
    return s_refuse (err, where, "%s: found %s, expected %s", key, what,
                     expected);
}

//  libxml2's HTML parser can pass on bytes that are not UTF-8 (an "&"
//  before a stray byte, after it fell back to Latin-1). Each such byte
//  becomes U+FFFD, so that every text and label is valid UTF-8. Sets
//  *repaired to a copy (caller frees) and moves *text and *len to it,
//  or leaves them when text is valid. -1 when out of memory.
static int
s_utf8_repair (const char **text, size_t *len, char **repaired)
{
    const unsigned char *in = (const unsigned char *) *text;
    size_t end = ws_utf8_valid_end (in, 0, *len);
    *repaired = NULL;
    if (end == *len)
        return 0;
    char *out = malloc (*len * 3 + 1);
    if (!out)
        return -1;
    size_t start = 0, size = 0;
    while (start < *len) {
        end = ws_utf8_valid_end (in, start, *len);
        memcpy (out + size, in + start, end - start);
        size += end - start;
        if (end == *len)
            break;
        memcpy (out + size, "\xEF\xBF\xBD", 3);
        size += 3;
        start = end + 1;
    }
    out[size] = '\0';
    *repaired = out;
    *text = out;
    *len = size;
    return 0;
}

//  Trim ASCII white space and U+00A0 (a no-break space, C2 A0 in UTF-8:
//  &nbsp; pads table cells) from both ends of text.
static void
s_trim (const char **text, size_t *len)
{
    const unsigned char *start = (const unsigned char *) *text;
    size_t size = *len;
    while (size > 0) {
        if (isspace (start[0]))
            start++, size--;
        else if (size >= 2 && start[0] == 0xC2 && start[1] == 0xA0)
            start += 2, size -= 2;
        else
            break;
    }
    while (size > 0) {
        if (isspace (start[size - 1]))
            size--;
        else if (size >= 2 && start[size - 2] == 0xC2
                 && start[size - 1] == 0xA0)
            size -= 2;
        else
            break;
    }
    *text = (const char *) start;
    *len = size;
}

static bool
s_name_start (unsigned char c)
{
    return isalpha (c) || c == '_' || c >= 0x80;
}

static bool
s_name_char (unsigned char c)
{
    return s_name_start (c) || isdigit (c) || c == '-' || c == '.';
}

//  The URI bound to prefix (len bytes), or NULL.
static const char *
s_namespace_uri (ws_extract_xpath_t *self, const char *prefix, size_t len)
{
    if (len == 3 && memcmp (prefix, "xml", 3) == 0)
        return (const char *) XML_XML_NAMESPACE;
    for (size_t i = 0; i < self->namespace_count; i++)
        if (strlen (self->namespaces[i].prefix) == len
            && memcmp (self->namespaces[i].prefix, prefix, len) == 0)
            return self->namespaces[i].uri;
    return NULL;
}

//  True if name (len bytes) is a node type test, which looks like a
//  function call: text(), node(), comment(), processing-instruction().
static bool
s_is_node_type (const char *name, size_t len)
{
    static const char *types[] = {"text", "node", "comment",
                                  "processing-instruction"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strlen (types[i]) == len && memcmp (types[i], name, len) == 0)
            return true;
    return false;
}

//  Check the function calls, namespace prefixes and variables of expr,
//  which xmlXPathCompile leaves to evaluation: a rule that names a
//  function XPath 1.0 does not have is refused when applied, not at the
//  first fetch. The tokens are told apart as XPath 1.0 section 3.7 says:
//  after an operand, a name is an operator (and, or, div, mod) and "*"
//  multiplies; a name followed by "(" is a function or a node type test,
//  by "::" an axis.
static int
s_check_names (ws_extract_xpath_t *self, xmlXPathContextPtr probe,
               const char *expr, const char *key, const char *where,
               ws_err_t *err)
{
    char quoted[S_QUOTE_MAX + 8];
    s_quote (expr, quoted, sizeof quoted);
    const char *p = expr;
    bool operand = true;  //  the next token starts an operand
    while (*p) {
        unsigned char c = (unsigned char) *p;
        if (isspace (c))
            p++;
        else if (c == '"' || c == '\'') {
            const char *close = strchr (p + 1, c);
            if (!close)
                break;
            p = close + 1;
            operand = false;
        }
        else if (isdigit (c) || (c == '.' && isdigit ((unsigned char) p[1]))) {
            while (isdigit ((unsigned char) *p) || *p == '.')
                p++;
            operand = false;
        }
        else if (c == '.') {
            p += p[1] == '.' ? 2 : 1;
            operand = false;
        }
        else if (c == ')' || c == ']') {
            p++;
            operand = false;
        }
        else if (c == '*') {
            p++;
            operand = !operand;  //  a name test, or multiply
        }
        else if (c == '$') {
            const char *start = ++p;
            while (s_name_char ((unsigned char) *p) || *p == ':')
                p++;
            return s_refuse (err, where,
                             "%s: variable '$%.*s' in %s: no variables are "
                             "defined",
                             key, (int) (p - start > 40 ? 40 : p - start),
                             start, quoted);
        }
        else if (s_name_start (c)) {
            const char *start = p;
            while (s_name_char ((unsigned char) *p))
                p++;
            size_t prefix_len = 0;
            if (p[0] == ':' && p[1] != ':') {
                prefix_len = (size_t) (p - start);
                p++;
                if (*p == '*')
                    p++;
                else
                    while (s_name_char ((unsigned char) *p))
                        p++;
            }
            size_t len = (size_t) (p - start);
            if (!operand) {
                operand = true;  //  and, or, div, mod
                continue;
            }
            const char *next = p;
            while (isspace ((unsigned char) *next))
                next++;
            if (next[0] == ':' && next[1] == ':')
                continue;  //  an axis
            const char *uri = NULL;
            if (prefix_len) {
                uri = s_namespace_uri (self, start, prefix_len);
                if (!uri)
                    return s_refuse (err, where,
                                     "%s: undefined namespace prefix '%.*s' "
                                     "in %s (give it in \"namespaces\")",
                                     key, (int) prefix_len, start, quoted);
            }
            if (*next == '(') {
                if (!prefix_len && s_is_node_type (start, len))
                    continue;
                char name[128];
                const char *local = start + (prefix_len ? prefix_len + 1 : 0);
                size_t local_len = len - (prefix_len ? prefix_len + 1 : 0);
                bool known = false;
                if (local_len < sizeof name) {
                    memcpy (name, local, local_len);
                    name[local_len] = '\0';
                    known =
                        uri ? xmlXPathFunctionLookupNS (probe,
                                                        (const xmlChar *) name,
                                                        (const xmlChar *) uri)
                                  != NULL
                            : xmlXPathFunctionLookup (probe,
                                                      (const xmlChar *) name)
                                  != NULL;
                }
                if (!known)
                    return s_refuse (
                        err, where, "%s: unknown function '%.*s()' in %s", key,
                        (int) (len > 60 ? 60 : len), start, quoted);
                continue;  //  "(" starts the arguments
            }
            operand = false;
        }
        else {
            //  / // | + - = != < <= > >= @ ( [ ,
            p++;
            operand = true;
        }
    }
    return 0;
}

//  Compile expr for key (at where) into *comp, or -1 with err.
static int
s_compile (ws_extract_xpath_t *self, xmlXPathContextPtr probe, const char *expr,
           const char *key, const char *where, xmlXPathCompExprPtr *comp,
           ws_err_t *err)
{
    s_capture_t capture;
    s_handlers_t saved;
    s_capture_start (&capture, &saved);
    *comp = xmlXPathCompile ((const xmlChar *) expr);
    s_capture_stop (&saved);
    if (!*comp) {
        char quoted[S_QUOTE_MAX + 8];
        s_quote (expr, quoted, sizeof quoted);
        if (capture.count == 0)
            return s_refuse (err, where, "%s: syntax error in %s", key, quoted);
        return s_refuse (err, where, "%s: syntax error in %s at offset %d: %s",
                         key, quoted, capture.offset,
                         s_lower (capture.message));
    }
    return s_check_names (self, probe, expr, key, where, err);
}

//  Read "namespaces" (NULL for none), or -1 with err.
static int
s_namespaces (ws_extract_xpath_t *self, json_t *namespaces, ws_err_t *err)
{
    if (!namespaces)
        return 0;
    if (!json_is_object (namespaces))
        return s_refuse_found (err, "namespaces", "/namespaces", namespaces,
                               "an object of prefixes to namespace URIs");
    size_t size = json_object_size (namespaces);
    if (size == 0)
        return 0;
    self->namespaces = calloc (size, sizeof *self->namespaces);
    if (!self->namespaces)
        return s_refuse (err, "/namespaces", "namespaces: out of memory");
    const char *prefix;
    json_t *uri;
    json_object_foreach (namespaces, prefix, uri) {
        char where[128];
        ws_json_pointer_join (where, sizeof where, "/namespaces", prefix);
        bool valid = s_name_start ((unsigned char) prefix[0]);
        for (const char *p = prefix; *p && valid; p++)
            valid = s_name_char ((unsigned char) *p);
        if (!valid)
            return s_refuse (err, where,
                             "namespaces: '%.60s' is not a prefix (a name "
                             "without ':')",
                             prefix);
        if (!json_is_string (uri) || json_string_length (uri) == 0) {
            char key[96];
            snprintf (key, sizeof key, "namespaces '%s'", prefix);
            return s_refuse_found (err, key, where, uri, "a namespace URI");
        }
        s_namespace_t *namespace = &self->namespaces[self->namespace_count];
        namespace->prefix = strdup (prefix);
        namespace->uri = strdup (json_string_value (uri));
        self->namespace_count++;
        if (!namespace->prefix || !namespace->uri)
            return s_refuse (err, where, "namespaces: out of memory");
    }
    return 0;
}

//  Read and compile "labels_from" (NULL for none), or -1 with err.
static int
s_labels (ws_extract_xpath_t *self, xmlXPathContextPtr probe,
          json_t *labels_from, ws_err_t *err)
{
    if (!labels_from)
        return 0;
    if (!json_is_object (labels_from))
        return s_refuse_found (err, "labels_from", "/labels_from", labels_from,
                               "an object of label names to expressions");
    size_t size = json_object_size (labels_from);
    if (size == 0)
        return 0;
    self->labels = calloc (size, sizeof *self->labels);
    if (!self->labels)
        return s_refuse (err, "/labels_from", "labels_from: out of memory");
    const char *name;
    json_t *expr;
    json_object_foreach (labels_from, name, expr) {
        char where[128], key[96];
        ws_json_pointer_join (where, sizeof where, "/labels_from", name);
        snprintf (key, sizeof key, "labels_from '%.60s'", name);
        if (!*name)
            return s_refuse (err, where, "labels_from: a label name is empty");
        if (!json_is_string (expr) || json_string_length (expr) == 0)
            return s_refuse_found (err, key, where, expr,
                                   "an XPath expression");
        s_label_t *label = &self->labels[self->label_count];
        label->name = strdup (name);
        label->expr = strdup (json_string_value (expr));
        self->label_count++;
        if (!label->name || !label->expr)
            return s_refuse (err, where, "%s: out of memory", key);
        if (s_compile (self, probe, label->expr, key, where, &label->comp, err))
            return -1;
    }
    return 0;
}

ws_extract_xpath_t *
ws_extract_xpath_new (json_t *rule, ws_err_t *err)
{
    if (!json_is_object (rule)) {
        s_refuse_found (err, "rule", "", rule, "an object");
        return NULL;
    }
    json_t *expr = json_object_get (rule, "xpath");
    if (!json_is_string (expr) || json_string_length (expr) == 0) {
        if (!expr)
            s_refuse (err, "/xpath", "xpath: missing");
        else
            s_refuse_found (err, "xpath", "/xpath", expr,
                            "an XPath expression");
        return NULL;
    }
    json_t *document = json_object_get (rule, "document");
    const char *kind =
        json_is_string (document) ? json_string_value (document) : "html";
    if ((document && !json_is_string (document))
        || (strcmp (kind, "html") != 0 && strcmp (kind, "xml") != 0)) {
        s_refuse_found (err, "document", "/document", document,
                        "\"html\" or \"xml\"");
        return NULL;
    }

    ws_extract_xpath_t *self = calloc (1, sizeof *self);
    xmlXPathContextPtr probe = NULL;
    if (!self) {
        s_refuse (err, "/xpath", "xpath: out of memory");
        return NULL;
    }
    self->xml = strcmp (kind, "xml") == 0;
    self->expr = strdup (json_string_value (expr));
    if (!self->expr) {
        s_refuse (err, "/xpath", "xpath: out of memory");
        goto fail;
    }
    if (s_namespaces (self, json_object_get (rule, "namespaces"), err))
        goto fail;
    //  A context without a document knows the function library, for
    //  s_check_names.
    s_capture_t capture;
    s_handlers_t saved;
    s_capture_start (&capture, &saved);
    probe = xmlXPathNewContext (NULL);
    s_capture_stop (&saved);
    if (!probe) {
        s_refuse (err, "/xpath", "xpath: out of memory");
        goto fail;
    }
    if (s_compile (self, probe, self->expr, "xpath", "/xpath", &self->comp, err)
        || s_labels (self, probe, json_object_get (rule, "labels_from"), err))
        goto fail;
    xmlXPathFreeContext (probe);
    return self;
fail:
    xmlXPathFreeContext (probe);
    ws_extract_xpath_destroy (&self);
    return NULL;
}

//  Parse body as the rule's kind of document into *doc, or -1 with err.
static int
s_parse (ws_extract_xpath_t *self, const char *body, size_t len,
         s_capture_t *capture, xmlDocPtr *doc, ws_err_t *err)
{
    if (self->xml) {
        //  No XML_PARSE_NOENT (entities stay references: no external
        //  entity is read), no DTDLOAD, no HUGE (the depth limit).
        *doc = xmlReadMemory (body, (int) len, NULL, NULL,
                              XML_PARSE_NONET | XML_PARSE_NOERROR
                                  | XML_PARSE_NOWARNING);
        if (!*doc) {
            if (capture->code == XML_ERR_DOCUMENT_EMPTY)
                return ws_err_set (err, WS_ERR_EXTRACT, "empty document");
            if (capture->count == 0)
                return ws_err_set (err, WS_ERR_EXTRACT, "document is not XML");
            return ws_err_set (err, WS_ERR_EXTRACT,
                               "document is not XML: line %d: %s",
                               capture->line, capture->message);
        }
    }
    else {
        *doc = htmlReadMemory (body, (int) len, NULL, NULL,
                               HTML_PARSE_RECOVER | HTML_PARSE_NOERROR
                                   | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
        if (!*doc)
            return ws_err_set (err, WS_ERR_EXTRACT, "document is not HTML");
        //  The HTML parser repairs what it can (level "error"); a fatal
        //  error (nesting too deep, out of memory) left the tree cut
        //  short, and values read from it would be wrong.
        if (capture->level >= XML_ERR_FATAL)
            return ws_err_set (err, WS_ERR_EXTRACT,
                               "document is not HTML: line %d: %s",
                               capture->line, capture->message);
    }
    if (!xmlDocGetRootElement (*doc))
        return ws_err_set (err, WS_ERR_EXTRACT, "empty document");
    return 0;
}

//  Evaluate comp with node as the context node; NULL with err (naming
//  subject, e.g. "xpath '//x'") when libxml2 refuses.
static xmlXPathObjectPtr
s_evaluate (xmlXPathCompExprPtr comp, xmlXPathContextPtr context,
            xmlNodePtr node, int position, int size, const char *subject,
            s_capture_t *capture, ws_err_t *err)
{
    s_capture_reset (capture);
    context->node = node;
    context->proximityPosition = position;
    context->contextSize = size;
    xmlXPathObjectPtr result = xmlXPathCompiledEval (comp, context);
    if (result && capture->count == 0)
        return result;
    xmlXPathFreeObject (result);
    if (capture->count == 0 || !capture->message[0])
        ws_err_set (err, WS_ERR_EXTRACT, "%s: evaluation failed", subject);
    else
        ws_err_set (err, WS_ERR_EXTRACT, "%s: %s", subject,
                    s_lower (capture->message));
    return NULL;
}

//  The labels of node (the context node), or NULL when the rule has
//  none; -1 with err.
static int
s_node_labels (ws_extract_xpath_t *self, xmlXPathContextPtr context,
               xmlNodePtr node, int position, int size, s_capture_t *capture,
               json_t **labels, ws_err_t *err)
{
    *labels = NULL;
    if (self->label_count == 0)
        return 0;
    json_t *object = json_object ();
    if (!object)
        return ws_err_set (err, WS_ERR_EXTRACT, "labels: out of memory");
    for (size_t i = 0; i < self->label_count; i++) {
        s_label_t *label = &self->labels[i];
        char subject[S_QUOTE_MAX + 96], quoted[S_QUOTE_MAX + 8];
        s_quote (label->expr, quoted, sizeof quoted);
        snprintf (subject, sizeof subject, "labels_from '%.60s' %s",
                  label->name, quoted);
        xmlXPathObjectPtr result = s_evaluate (
            label->comp, context, node, position, size, subject, capture, err);
        if (!result) {
            json_decref (object);
            return -1;
        }
        xmlChar *string = xmlXPathCastToString (result);
        xmlXPathFreeObject (result);
        const char *text = string ? (const char *) string : "";
        size_t len = strlen (text);
        s_trim (&text, &len);
        char *repaired;
        json_t *value = NULL;
        if (s_utf8_repair (&text, &len, &repaired) == 0)
            value =
                json_stringn (text, ws_utf8_cut (text, len, WS_MATCH_TEXT_MAX));
        free (repaired);
        xmlFree (string);
        if (!value || json_object_set_new (object, label->name, value)) {
            json_decref (object);
            return ws_err_set (err, WS_ERR_EXTRACT, "%s: out of memory",
                               subject);
        }
    }
    *labels = object;
    return 0;
}

//  Add one match of text (trimmed), with the labels of node.
static int
s_add (ws_extract_xpath_t *self, xmlXPathContextPtr context, xmlNodePtr node,
       int position, int size, const char *text, bool has_value, double value,
       s_capture_t *capture, ws_matches_t *matches, ws_err_t *err)
{
    json_t *labels;
    if (s_node_labels (self, context, node, position, size, capture, &labels,
                       err))
        return -1;
    size_t len = text ? strlen (text) : 0;
    char *repaired = NULL;
    if (text) {
        s_trim (&text, &len);
        if (s_utf8_repair (&text, &len, &repaired)) {
            json_decref (labels);
            return ws_err_set (err, WS_ERR_EXTRACT, "text: out of memory");
        }
    }
    ws_matches_add (matches, text, len, has_value, value, labels);
    free (repaired);
    return 0;
}

//  The matches of result: one per node, or one number, boolean, string.
static int
s_add_result (ws_extract_xpath_t *self, xmlXPathContextPtr context,
              xmlDocPtr doc, xmlXPathObjectPtr result, const char *subject,
              s_capture_t *capture, ws_matches_t *matches, ws_err_t *err)
{
    xmlNodePtr root = (xmlNodePtr) doc;
    switch (result->type) {
    case XPATH_NODESET: {
        xmlNodeSetPtr nodes = result->nodesetval;
        int count = nodes ? nodes->nodeNr : 0;
        if (count > WS_EXTRACT_XPATH_MATCHES_MAX)
            return ws_err_set (err, WS_ERR_EXTRACT,
                               "%s: more than %d nodes (%d); make the "
                               "expression narrower",
                               subject, WS_EXTRACT_XPATH_MATCHES_MAX, count);
        for (int i = 0; i < count; i++) {
            xmlNodePtr node = nodes->nodeTab[i];
            xmlChar *content = xmlNodeGetContent (node);
            int rc =
                s_add (self, context, node, i + 1, count,
                       (const char *) content, false, 0, capture, matches, err);
            xmlFree (content);
            if (rc)
                return -1;
        }
        return 0;
    }
    case XPATH_NUMBER: {
        double value = result->floatval;
        if (isnan (value))
            return ws_err_set (err, WS_ERR_EXTRACT, "%s gave NaN", subject);
        if (isinf (value))
            return ws_err_set (err, WS_ERR_EXTRACT, "%s gave %s", subject,
                               value > 0 ? "infinity" : "-infinity");
        xmlChar *text = xmlXPathCastNumberToString (value);
        int rc = s_add (self, context, root, 1, 1, (const char *) text, true,
                        value, capture, matches, err);
        xmlFree (text);
        return rc;
    }
    case XPATH_BOOLEAN:
        return s_add (self, context, root, 1, 1,
                      result->boolval ? "true" : "false", true,
                      result->boolval ? 1 : 0, capture, matches, err);
    case XPATH_STRING:
        return s_add (self, context, root, 1, 1,
                      (const char *) result->stringval, false, 0, capture,
                      matches, err);
    default:
        return ws_err_set (err, WS_ERR_EXTRACT,
                           "%s gave a result of type %d, not a node-set, "
                           "number, boolean or string",
                           subject, (int) result->type);
    }
}

//  Evaluate the rule on doc and add its matches; -1 with err.
static int
s_run (ws_extract_xpath_t *self, xmlDocPtr doc, s_capture_t *capture,
       ws_matches_t *matches, ws_err_t *err)
{
    char subject[S_QUOTE_MAX + 16], quoted[S_QUOTE_MAX + 8];
    s_quote (self->expr, quoted, sizeof quoted);
    snprintf (subject, sizeof subject, "xpath %s", quoted);
    //  Document order as an index in each element: sorting node-sets
    //  is then a comparison, not a walk (xmllint does the same).
    xmlXPathOrderDocElems (doc);
    xmlXPathContextPtr context = xmlXPathNewContext (doc);
    if (!context)
        return ws_err_set (err, WS_ERR_EXTRACT, "%s: out of memory", subject);
    int rc = 0;
    for (size_t i = 0; i < self->namespace_count && rc == 0; i++)
        if (xmlXPathRegisterNs (context,
                                (const xmlChar *) self->namespaces[i].prefix,
                                (const xmlChar *) self->namespaces[i].uri))
            rc = ws_err_set (err, WS_ERR_EXTRACT, "%s: out of memory", subject);
    //  One budget for the document: the expression and every label.
    context->opLimit = WS_EXTRACT_XPATH_OP_LIMIT;
    context->opCount = 0;
    xmlXPathObjectPtr result = NULL;
    if (rc == 0) {
        result = s_evaluate (self->comp, context, (xmlNodePtr) doc, 1, 1,
                             subject, capture, err);
        if (!result)
            rc = -1;
    }
    if (rc == 0)
        rc = s_add_result (self, context, doc, result, subject, capture,
                           matches, err);
    xmlXPathFreeObject (result);
    xmlXPathFreeContext (context);
    return rc;
}

int
ws_extract_xpath_run (ws_extract_xpath_t *self, const char *body, size_t len,
                      ws_matches_t *matches, ws_err_t *err)
{
    assert (self);
    assert (matches);
    if (!body || len == 0)
        return ws_err_set (err, WS_ERR_EXTRACT, "empty document");
    if (len > INT_MAX)
        return ws_err_set (err, WS_ERR_EXTRACT,
                           "document too big: %zu bytes, at most %d", len,
                           INT_MAX);
    size_t before = matches->count;
    s_capture_t capture;
    s_handlers_t saved;
    s_capture_start (&capture, &saved);
    xmlDocPtr doc = NULL;
    int rc = s_parse (self, body, len, &capture, &doc, err);
    if (rc == 0)
        rc = s_run (self, doc, &capture, matches, err);
    xmlFreeDoc (doc);
    s_capture_stop (&saved);
    if (rc)
        ws_matches_truncate (matches, before);
    return rc;
}

void
ws_extract_xpath_destroy (ws_extract_xpath_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_extract_xpath_t *self = *self_p;
    for (size_t i = 0; i < self->label_count; i++) {
        free (self->labels[i].name);
        free (self->labels[i].expr);
        xmlXPathFreeCompExpr (self->labels[i].comp);
    }
    free (self->labels);
    for (size_t i = 0; i < self->namespace_count; i++) {
        free (self->namespaces[i].prefix);
        free (self->namespaces[i].uri);
    }
    free (self->namespaces);
    xmlXPathFreeCompExpr (self->comp);
    free (self->expr);
    free (self);
    *self_p = NULL;
}

const char *
ws_extract_xpath_expr (ws_extract_xpath_t *self)
{
    assert (self);
    return self->expr;
}
