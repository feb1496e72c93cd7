/* Proves the sanitizer run is not vacuous: this program leaks one error
 * string allocated inside the Rust library, on purpose. Built only with
 * TB_SANITIZE=ON, where ctest expects it to FAIL (LeakSanitizer must see
 * allocations made by the library, not only by the C code). */
#include <stdio.h>

#include "temporal_bridge.h"

int main(void) {
    TbClient *client = NULL;
    char *error = NULL;
    TbStatus status = tb_client_connect(NULL, &client, &error);
    if (status != TB_STATUS_INVALID_ARGUMENT || error == NULL) return 0; /* unexpected: fail the canary */
    printf("leaking %s\n", error);
    error = NULL; /* the leak: never tb_string_free'd */
    return 0;
}
