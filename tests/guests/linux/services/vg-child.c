/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vg-child: the program vg-spawnd starts (not a service).
 *
 *   vg-child time ARG   read the clock through the vDSO, twice: through
 *                       glibc's clock_gettime, and through a pointer to
 *                       __vdso_clock_gettime found from AT_SYSINFO_EHDR,
 *                       as glibc's own start-up finds it.  Exit 0 if both
 *                       worked.
 *   vg-child remote     exit 0 (the remote shell's command)
 */
#include <elf.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>

typedef int ClockGettime(clockid_t, struct timespec *);

/* The vDSO's symbol `name`, by its dynamic symbol table. */
static void *vdso_sym(const char *name)
{
    const Elf64_Ehdr *eh = (const void *)getauxval(AT_SYSINFO_EHDR);
    const Elf64_Phdr *ph;
    const Elf64_Dyn *dyn = NULL;
    const Elf64_Sym *symtab = NULL;
    const char *strtab = NULL;
    const uint32_t *hash = NULL;
    uintptr_t base = (uintptr_t)eh, load = 0;

    if (!eh) {
        return NULL;
    }
    ph = (const void *)(base + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && !load) {
            load = base + ph[i].p_offset - ph[i].p_vaddr;
        } else if (ph[i].p_type == PT_DYNAMIC) {
            dyn = (const void *)(base + ph[i].p_offset);
        }
    }
    if (!dyn) {
        return NULL;
    }
    for (; dyn->d_tag != DT_NULL; dyn++) {
        switch (dyn->d_tag) {
        case DT_SYMTAB:
            symtab = (const void *)(load + dyn->d_un.d_ptr);
            break;
        case DT_STRTAB:
            strtab = (const void *)(load + dyn->d_un.d_ptr);
            break;
        case DT_HASH:
            hash = (const void *)(load + dyn->d_un.d_ptr);
            break;
        }
    }
    if (!symtab || !strtab || !hash) {
        return NULL;
    }
    for (uint32_t i = 0; i < hash[1]; i++) {
        if (symtab[i].st_shndx != SHN_UNDEF &&
            !strcmp(strtab + symtab[i].st_name, name)) {
            return (void *)(load + symtab[i].st_value);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct timespec a, b;
    ClockGettime *vdso_clock_gettime;

    if (argc >= 2 && !strcmp(argv[1], "remote")) {
        return 0;
    }
    if (argc < 3 || strcmp(argv[1], "time")) {
        return 2;
    }
    if (clock_gettime(CLOCK_MONOTONIC, &a)) {
        return 3;
    }
    vdso_clock_gettime = (ClockGettime *)vdso_sym("__vdso_clock_gettime");
    if (!vdso_clock_gettime || vdso_clock_gettime(CLOCK_MONOTONIC, &b)) {
        return 4;
    }
    return b.tv_sec >= a.tv_sec ? 0 : 5;
}
