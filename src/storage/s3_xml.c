/* storage/s3_xml.c — reading S3's XML responses with libxml2.
 *
 * S3 answers listings, multipart set-up and errors in XML. The documents
 * are small (a listing page is at most 1000 entries), so each is parsed
 * into a tree and walked; elements are matched by local name, ignoring the
 * namespace, because servers differ on whether they send it. Parsing never
 * touches the network or the filesystem (XML_PARSE_NONET, no entities), so
 * a hostile server cannot make us fetch anything.
 */
#include "storage/s3_internal.h"
#include "core/clock.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static xmlDocPtr parse(const char *body, size_t n)
{
    if (!body || n == 0 || n > INT32_MAX) return NULL;
    return xmlReadMemory(body, (int)n, "s3.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static int is(xmlNodePtr node, const char *name)
{
    return node->type == XML_ELEMENT_NODE && !strcmp((const char *)node->name, name);
}

static xmlNodePtr find(xmlNodePtr node, const char *name)
{
    for (; node; node = node->next) {
        if (is(node, name)) return node;
        xmlNodePtr c = find(node->children, name);
        if (c) return c;
    }
    return NULL;
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (is(c, name)) return c;
    return NULL;
}

static char *text_of(xmlNodePtr node)
{
    if (!node) return NULL;
    xmlChar *t = xmlNodeGetContent(node);
    char *s = lh_xstrdup(t ? (const char *)t : "");
    xmlFree(t);
    return s;
}

static void copy_text(xmlNodePtr node, char *dst, size_t cap)
{
    char *t = text_of(node);
    snprintf(dst, cap, "%s", t ? t : "");
    free(t);
}

void lh_s3_xml_error(const char *body, size_t n, lh_s3_error_doc *out)
{
    memset(out, 0, sizeof *out);
    xmlDocPtr doc = parse(body, n);
    if (!doc) return;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    copy_text(find(root, "Code"), out->code, sizeof out->code);
    copy_text(find(root, "Message"), out->message, sizeof out->message);
    copy_text(find(root, "RequestId"), out->request_id, sizeof out->request_id);
    xmlFreeDoc(doc);
}

char *lh_s3_xml_text(const char *body, size_t n, const char *name)
{
    xmlDocPtr doc = parse(body, n);
    if (!doc) return NULL;
    char *t = text_of(find(xmlDocGetRootElement(doc), name));
    xmlFreeDoc(doc);
    return t;
}

int lh_s3_xml_list(const char *body, size_t n, lh_list *out, int *truncated, char **next_token, lh_err *err)
{
    memset(out, 0, sizeof *out);
    *truncated = 0;
    *next_token = NULL;
    xmlDocPtr doc = parse(body, n);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root || !is(root, "ListBucketResult")) {
        if (doc) xmlFreeDoc(doc);
        return lh_err_set(err, LH_EIO, "s3_bad_response", "the S3 server answered a listing with something that "
                          "is not a ListBucketResult document");
    }
    size_t cap_o = 0, cap_p = 0;
    for (xmlNodePtr c = root->children; c; c = c->next) {
        if (is(c, "Contents")) {
            char *key = text_of(child(c, "Key"));
            if (!key || !*key) { free(key); continue; }
            if (out->n_objects == cap_o) {
                cap_o = cap_o ? cap_o * 2 : 64;
                out->objects = lh_xrealloc(out->objects, cap_o * sizeof *out->objects);
            }
            lh_list_entry *e = &out->objects[out->n_objects++];
            memset(e, 0, sizeof *e);
            e->key = key;
            char *size = text_of(child(c, "Size"));
            e->info.size = size ? strtoull(size, NULL, 10) : 0;
            free(size);
            char *etag = text_of(child(c, "ETag"));
            if (etag && etag[0] == '"') snprintf(e->info.etag, sizeof e->info.etag, "%s", etag);
            else if (etag) snprintf(e->info.etag, sizeof e->info.etag, "\"%.*s\"", (int)sizeof e->info.etag - 3, etag);
            free(etag);
            char *lm = text_of(child(c, "LastModified"));
            int64_t us;
            e->info.mtime_us = lm && lh_time_parse_us(lm, &us) == 0 ? us : 0;
            free(lm);
        } else if (is(c, "CommonPrefixes")) {
            char *p = text_of(child(c, "Prefix"));
            if (!p) continue;
            if (out->n_prefixes == cap_p) {
                cap_p = cap_p ? cap_p * 2 : 16;
                out->prefixes = lh_xrealloc(out->prefixes, cap_p * sizeof *out->prefixes);
            }
            out->prefixes[out->n_prefixes++] = p;
        } else if (is(c, "IsTruncated")) {
            char *t = text_of(c);
            *truncated = t && !strcmp(t, "true");
            free(t);
        } else if (is(c, "NextContinuationToken")) {
            free(*next_token);
            *next_token = text_of(c);
        }
    }
    xmlFreeDoc(doc);
    return 0;
}
