// How an adapter author proves their store: run phasegate's conformance suite from vitest.
import { afterEach, describe, expect, it } from 'vitest';
import { runStorageConformance } from 'phasegate/testing';
import { MapStore } from './map-store.js';

runStorageConformance(() => new MapStore(), { name: 'MapStore (examples/custom-store)', test: { describe, it, expect, afterEach } });
