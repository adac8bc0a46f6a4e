/* Forks a child that touches memory and exits; the parent waits and exits 0. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  const pid_t pid = fork();
  if (pid == 0) {
    char* b = malloc(1 << 20);
    memset(b, 1, 1 << 20);
    _exit(b[7] == 1 ? 0 : 1);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
