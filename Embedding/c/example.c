// Reads the usage of a response body from stdin: cc example.c -I DIR -L DIR -lusagetap -Wl,-rpath,DIR
#include <stdio.h>
#include "usagetap.h"

int main(void) {
    usagetap *tap = usagetap_new(USAGETAP_AUTO);          // or usagetap_protocol_for_path(path, length)
    char chunk[16384];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        usagetap_feed(tap, chunk, got);                     // only read: forward `chunk` unchanged
    usagetap_finish(tap);
    usagetap_record record;
    usagetap_get_record(tap, &record);
    if (record.input_tokens.known)                          // unknown is not zero
        printf("%.*s: %lld in, %lld out\n", (int)record.model_length, record.model,
               (long long)record.input_tokens.value, (long long)record.output_tokens.value);
    char line[1024];
    size_t length;
    if (usagetap_get_record_json(tap, line, sizeof line, &length) == USAGETAP_OK) puts(line);
    usagetap_free(tap);
    return 0;
}
