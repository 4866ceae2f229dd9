import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/index.js';
import { runStorageConformance } from '../../src/testing/index.js';

runStorageConformance(() => new MemoryStore(), { name: 'MemoryStore conformance', test: { describe, it, expect, afterEach } });
