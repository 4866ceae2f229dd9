/** Who is acting, recorded in histories (releases, early-access members). Default `api`. */
export interface ActorOptions {
  /** The person or system acting. */
  readonly by?: string;
}
