/* tests/unit/test_sigv4.c — SigV4 signing against AWS's published examples.
 *
 * The vectors are the worked examples from AWS's public documentation:
 * the Signature Version 4 test suite's "get-vanilla" and
 * "get-vanilla-query-order-key-case" (service "service", AKIDEXAMPLE,
 * 20150830T123600Z) and the S3 "Signature Calculations for the
 * Authorization Header" examples (GET object with Range, PUT object with a
 * '$' in the key, GET ?lifecycle, GET bucket listing; examplebucket,
 * AKIAIOSFODNN7EXAMPLE, 20130524T000000Z). Each expected signature was
 * computed by AWS, not by this code.
 */
#include "storage/sigv4.h"
#include "testing.h"

static const char *SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
static const char *S3_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

static void sign(const char *method, const char *uri, const char *query, const lh_sigv4_header *h, size_t nh,
                 const char *payload, const char *region, const char *service, const char *date, const char *ak,
                 const char *sk, lh_sigv4_output *out)
{
    lh_sigv4_input in = {method, uri, query, h, nh, payload, region, service, date, ak, sk};
    lh_err e;
    int rc = lh_sigv4_sign(&in, out, &e);
    CHECK_MSG(rc == 0, "%s", e.msg);
}

static void test_suite_get_vanilla(void)
{
    lh_sigv4_header h[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
    lh_sigv4_output o = {0};
    sign("GET", "/", NULL, h, 2, LH_SIGV4_EMPTY_SHA256, "us-east-1", "service", "20150830T123600Z",
         "AKIDEXAMPLE", SUITE_SECRET, &o);
    CHECK_STR(o.canonical_request.data,
              "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
              LH_SIGV4_EMPTY_SHA256);
    CHECK_STR(o.string_to_sign.data, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
              "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    CHECK_STR(o.authorization.data,
              "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
              "SignedHeaders=host;x-amz-date, "
              "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    lh_sigv4_output_free(&o);
}

static void test_suite_query_order(void)
{
    lh_sigv4_header h[] = {{"X-Amz-Date", "20150830T123600Z"}, {"Host", "example.amazonaws.com"}};
    lh_sigv4_output o = {0};
    sign("GET", "/", "Param2=value2&Param1=value1", h, 2, LH_SIGV4_EMPTY_SHA256, "us-east-1", "service",
         "20150830T123600Z", "AKIDEXAMPLE", SUITE_SECRET, &o);
    CHECK_STR(o.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    lh_sigv4_output_free(&o);
}

static void test_s3_get_object_range(void)
{
    lh_sigv4_header h[] = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"},
                           {"x-amz-content-sha256", LH_SIGV4_EMPTY_SHA256}, {"x-amz-date", "20130524T000000Z"}};
    lh_sigv4_output o = {0};
    sign("GET", "/test.txt", NULL, h, 4, LH_SIGV4_EMPTY_SHA256, "us-east-1", "s3", "20130524T000000Z",
         "AKIAIOSFODNN7EXAMPLE", S3_SECRET, &o);
    CHECK_STR(o.canonical_request.data,
              "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
              "x-amz-content-sha256:" LH_SIGV4_EMPTY_SHA256 "\nx-amz-date:20130524T000000Z\n\n"
              "host;range;x-amz-content-sha256;x-amz-date\n" LH_SIGV4_EMPTY_SHA256);
    CHECK_STR(o.authorization.data,
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
              "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
              "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    lh_sigv4_output_free(&o);
}

static void test_s3_put_object(void)
{
    const char *body = "Welcome to Amazon S3.";
    char hash[LH_SHA256_HEX_LEN];
    lh_sha256_hex(body, strlen(body), hash);
    CHECK_STR(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    lh_buf uri = LH_BUF_INIT;
    lh_buf_putc(&uri, '/');
    lh_sigv4_uri_encode(&uri, "test$file.text", 14, 1);
    CHECK_STR(uri.data, "/test%24file.text");
    lh_sigv4_header h[] = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                           {"x-amz-date", "20130524T000000Z"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                           {"x-amz-content-sha256", hash}};
    lh_sigv4_output o = {0};
    sign("PUT", uri.data, NULL, h, 5, hash, "us-east-1", "s3", "20130524T000000Z", "AKIAIOSFODNN7EXAMPLE",
         S3_SECRET, &o);
    CHECK_STR(o.signed_headers.data, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
    CHECK_STR(o.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    lh_sigv4_output_free(&o);
    lh_buf_free(&uri);
}

static void test_s3_get_lifecycle_and_list(void)
{
    lh_sigv4_header h[] = {{"Host", "examplebucket.s3.amazonaws.com"},
                           {"x-amz-content-sha256", LH_SIGV4_EMPTY_SHA256}, {"x-amz-date", "20130524T000000Z"}};
    lh_sigv4_output o = {0};
    sign("GET", "/", "lifecycle", h, 3, LH_SIGV4_EMPTY_SHA256, "us-east-1", "s3", "20130524T000000Z",
         "AKIAIOSFODNN7EXAMPLE", S3_SECRET, &o);
    CHECK(strstr(o.canonical_request.data, "\nlifecycle=\n") != NULL);
    CHECK_STR(o.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    lh_sigv4_output_free(&o);

    lh_sigv4_output l = {0};
    sign("GET", "/", "prefix=J&max-keys=2", h, 3, LH_SIGV4_EMPTY_SHA256, "us-east-1", "s3", "20130524T000000Z",
         "AKIAIOSFODNN7EXAMPLE", S3_SECRET, &l);
    CHECK(strstr(l.canonical_request.data, "\nmax-keys=2&prefix=J\n") != NULL);
    CHECK_STR(l.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    lh_sigv4_output_free(&l);
}

/* Header values are trimmed and inner runs collapsed; repeated headers join. */
static void test_header_canonicalisation(void)
{
    lh_sigv4_header h[] = {{"Host", "h"}, {"My-Header2", "  \"a   b   c\"  "}, {"x-amz-date", "20150830T123600Z"},
                           {"My-Header1", "v1"}, {"my-header1", "v2"}};
    lh_sigv4_output o = {0};
    sign("GET", "/", NULL, h, 5, LH_SIGV4_UNSIGNED_PAYLOAD, "us-east-1", "s3", "20150830T123600Z", "AK", "SK", &o);
    CHECK(strstr(o.canonical_request.data, "\nmy-header1:v1,v2\nmy-header2:\"a b c\"\n") != NULL);
    CHECK_STR(o.signed_headers.data, "host;my-header1;my-header2;x-amz-date");
    CHECK(strstr(o.canonical_request.data, "\nUNSIGNED-PAYLOAD") != NULL);
    lh_sigv4_output_free(&o);
}

/* A session token is one more signed header; different secrets differ. */
static void test_session_token_and_secret(void)
{
    lh_sigv4_header h[] = {{"Host", "h"}, {"x-amz-date", "20150830T123600Z"}, {"x-amz-security-token", "TOKEN"}};
    lh_sigv4_output a = {0}, b = {0};
    sign("GET", "/k", NULL, h, 3, LH_SIGV4_EMPTY_SHA256, "eu-west-1", "s3", "20150830T123600Z", "AK", "one", &a);
    sign("GET", "/k", NULL, h, 3, LH_SIGV4_EMPTY_SHA256, "eu-west-1", "s3", "20150830T123600Z", "AK", "two", &b);
    CHECK_STR(a.signed_headers.data, "host;x-amz-date;x-amz-security-token");
    CHECK(strcmp(a.signature, b.signature) != 0);
    CHECK(strstr(a.authorization.data, "/eu-west-1/s3/") != NULL);
    CHECK(strstr(a.authorization.data, "one") == NULL);  /* the secret never appears */
    lh_sigv4_output_free(&a);
    lh_sigv4_output_free(&b);
}

static void test_bad_input(void)
{
    lh_sigv4_header h[] = {{"Host", "h"}};
    lh_sigv4_input in = {"GET", "/", NULL, h, 1, LH_SIGV4_EMPTY_SHA256, "us-east-1", "s3", "2015-08-30", "AK", "SK"};
    lh_sigv4_output o = {0};
    lh_err e;
    CHECK_INT(lh_sigv4_sign(&in, &o, &e), LH_EINVAL);
    CHECK_STR(e.code, "sigv4_invalid");
    lh_sigv4_output_free(&o);
    in.amz_date = "20150830T123600Z";
    in.secret_key = NULL;
    lh_sigv4_output o2 = {0};
    CHECK_INT(lh_sigv4_sign(&in, &o2, &e), LH_EINVAL);
    lh_sigv4_output_free(&o2);
}

static void test_uri_encode(void)
{
    lh_buf b = LH_BUF_INIT;
    const char *k = "datasets/a b/ü+~x=1&.parquet";
    lh_sigv4_uri_encode(&b, k, strlen(k), 1);
    CHECK_STR(b.data, "datasets/a%20b/%C3%BC%2B~x%3D1%26.parquet");
    lh_buf_reset(&b);
    lh_sigv4_uri_encode(&b, "a/b", 3, 0);
    CHECK_STR(b.data, "a%2Fb");
    lh_buf_free(&b);
    char d[17];
    lh_sigv4_amz_date(1440938160, d);
    CHECK_STR(d, "20150830T123600Z");
}

int main(void)
{
    RUN(test_suite_get_vanilla);
    RUN(test_suite_query_order);
    RUN(test_s3_get_object_range);
    RUN(test_s3_put_object);
    RUN(test_s3_get_lifecycle_and_list);
    RUN(test_header_canonicalisation);
    RUN(test_session_token_and_secret);
    RUN(test_bad_input);
    RUN(test_uri_encode);
    return TEST_SUMMARY();
}
