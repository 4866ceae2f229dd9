import * as z from 'zod';
import type { StoredRecord } from '../storage/store.js';
import { storedRecordParser } from '../validation.js';

const epoch = z.number().int().min(0);
const text = z.string();
const finite = z.number().refine(Number.isFinite, 'must be finite');

const seriesRecordSchema = z.looseObject({
  metric: text.min(1),
  release: text.nullable(),
  feature: text.nullable(),
  count: z.number().int().min(0),
  sum: finite,
  min: z.number(),
  max: z.number(),
  recent: z.array(z.looseObject({ at: epoch, value: finite })),
});

const sketchRecordSchema = z.looseObject({ registers: text });

const alertRecordSchema = z.looseObject({
  id: text.min(1),
  at: epoch,
  metric: text.min(1),
  value: finite,
  limit: finite,
  bad: z.enum(['above', 'below']),
  severity: z.enum(['warning', 'critical']),
  samples: z.number().int().min(0),
  release: text.nullable(),
  feature: text.nullable(),
});

const parseSeries = storedRecordParser(seriesRecordSchema, 'metric series');
const parseSketch = storedRecordParser(sketchRecordSchema, 'adoption sketch');

/**
 * Validates a record of the metrics collection: a HyperLogLog sketch (`registers`) or a metric
 * series, told apart by shape, since key formats are the analytics module's own business.
 */
export function parseStoredMetricRecord(record: StoredRecord<unknown>, storeName: string): unknown {
  const value = record.value;
  const isSketch = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, 'registers');
  return isSketch ? parseSketch(record, storeName) : parseSeries(record, storeName);
}

/** Validates an alert read back from a store. */
export const parseStoredAlert = storedRecordParser(alertRecordSchema, 'alert', (alert) => alert.id);
