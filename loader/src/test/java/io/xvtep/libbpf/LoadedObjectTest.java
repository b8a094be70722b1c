package io.xvtep.libbpf;

import static io.xvtep.libbpf.TestSupport.bpfObject;
import static io.xvtep.libbpf.TestSupport.newPinRoot;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import io.xvtep.testkit.Requires;

/** Base of the tests that need test_prog.o loaded under a pin root of their own, removed afterwards. */
abstract class LoadedObjectTest {
    Path pinRoot;
    BpfObject obj;

    @BeforeEach
    void loadTestObject() {
        Requires.root();
        pinRoot = newPinRoot();
        obj = BpfObject.open(bpfObject("test_prog.o"), pinRoot);
        obj.load();
    }

    @AfterEach
    void closeTestObject() {
        if (obj != null) {
            obj.close();
        }
        if (pinRoot != null) {
            Bpffs.removeTree(pinRoot);
        }
    }
}
