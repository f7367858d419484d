// The run's status word: the first label outside [0, classes) seen by any kernel is recorded
// here, and the host turns it into the same error the CPU backend throws.
layout(std430, binding = STATUS_BINDING) buffer Status { uint flag; int label; uint row; uint classes; } status;

bool checkLabel(int label, uint classes, uint row) {
    if (label >= 0 && label < int(classes)) return true;
    if (atomicCompSwap(status.flag, 0u, 1u) == 0u) {
        status.label = label;
        status.row = row;
        status.classes = classes;
    }
    return false;
}
