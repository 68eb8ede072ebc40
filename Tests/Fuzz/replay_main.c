/*
 * replay_main — runs a libFuzzer target's LLVMFuzzerTestOneInput over files
 * without libFuzzer, so `make test` can replay the committed corpus through
 * an ordinary build. Arguments are files or directories (one level).
 * Prints how many inputs ran; a failed check aborts, as under libFuzzer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int replay_file(const char *path) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) { perror(path); return 0; }
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    uint8_t *data = malloc(size > 0 ? (size_t)size : 1);
    size_t read = fread(data, 1, (size_t)size, file);
    fclose(file);
    /* A copy of exactly the file's size, so reads past the end are caught by tools. */
    LLVMFuzzerTestOneInput(data, read);
    free(data);
    return 1;
}

int main(int argc, char **argv) {
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    int count = 0;
    for (int index = 1; index < argc; index++) {
        struct stat status;
        if (stat(argv[index], &status) != 0) { perror(argv[index]); return 1; }
        if (!S_ISDIR(status.st_mode)) { count += replay_file(argv[index]); continue; }
        DIR *directory = opendir(argv[index]);
        struct dirent *entry;
        while (directory != NULL && (entry = readdir(directory)) != NULL) {
            if (entry->d_name[0] == '.') continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[index], entry->d_name);
            count += replay_file(path);
        }
        if (directory != NULL) closedir(directory);
    }
    printf("%s: replayed %d inputs, all checks held\n", argv[0], count);
    return 0;
}
