/* The CLI's typed values, one grammar for every command (docs/cli.md, "Values"):
 * durations "500ms", "1s", "2m" (a bare number is seconds where an option says so), bit rates
 * "5Mbit", "500kbit/s" (a unit is required: a bare 5 would be 5 bit/s), sizes "64KiB", "1MiB"
 * (binary units; a bare number is bytes). Each parser returns 0 and the value, or -1 and a
 * reason in `why` (no printing: the option parser writes the one error line). */
#ifndef EDGEPROF_CLI_VALUES_H
#define EDGEPROF_CLI_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Seconds from "<number>[ns|us|ms|s|m|h]"; without a unit, seconds if `bare_is_seconds`. */
int cli_value_duration(const char* text, bool bare_is_seconds, double* seconds_out, char* why,
                       size_t why_size);
/* Bits per second from "<number><unit>", unit one of bit, kbit, Mbit, Gbit (optionally "/s"),
 * bps, kbps, Mbps, Gbps, or bytes: B/s, kB/s, MB/s, GB/s. */
int cli_value_rate(const char* text, double* bps_out, char* why, size_t why_size);
/* Bytes from "<number>[B|KiB|MiB|GiB]" (a whole number of bytes). */
int cli_value_size(const char* text, int64_t* bytes_out, char* why, size_t why_size);

/* "1.5 s", "40 ms", "250 us": a duration as people read it. */
const char* cli_format_duration(double seconds, char* buf, size_t size);

#endif /* EDGEPROF_CLI_VALUES_H */
