// The list output formats, apart from the renderers: every command's flags name them, and loading the table and
// YAML libraries for that alone cost every command's start-up.
export type ListFormat = 'table' | 'wide' | 'json' | 'yaml'
export const LIST_FORMATS: ListFormat[] = ['table', 'wide', 'json', 'yaml']
